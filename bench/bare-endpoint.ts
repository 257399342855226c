import express from 'express';

// The ceiling for the ingest benchmark: the same framework and route, answering 204 without any work.
const app = express();
app.disable('x-powered-by');
app.post('/twilio/recording-status', (_req, res) => {
  res.status(204).end();
});
const port = Number(process.env.PORT);
app.listen(port, '127.0.0.1');
