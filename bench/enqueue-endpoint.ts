import { archiveJobId, defaultRetryPolicy, jobCatalogue, QueueName } from '@recording-vault/contract';
import { producerConnection } from '@recording-vault/redis';
import { Queue } from 'bullmq';
import express from 'express';

// A second reference for the ingest benchmark: the same durable BullMQ write per request, without the
// signature check, validation, metrics or request logs. The gap to it is what the ingest API itself costs.
const queue = new Queue(QueueName.archive, {
  connection: producerConnection(process.env.REDIS_URL as string),
  prefix: process.env.QUEUE_PREFIX as string,
});
const options = jobCatalogue.archive.options(defaultRetryPolicy);
const app = express();
app.disable('x-powered-by');
app.post('/twilio/recording-status', express.urlencoded({ extended: false }), async (req, res) => {
  const { AccountSid, RecordingSid, CallSid } = req.body as Record<string, string>;
  await queue.add(
    QueueName.archive,
    { accountSid: AccountSid, recordingSid: RecordingSid, callSid: CallSid, origin: 'callback' },
    { ...options, jobId: archiveJobId(RecordingSid as string) },
  );
  res.status(204).end();
});
app.listen(Number(process.env.PORT), '127.0.0.1');
