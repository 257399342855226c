/** The JSON body Twilio's 2010 API answers errors with (never HTML). */
export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioError(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export function notFoundError(path: string): TwilioErrorBody {
  return twilioError(404, 20404, `The requested resource ${path} was not found`);
}

export function authenticationError(): TwilioErrorBody {
  return twilioError(401, 20003, 'Authenticate');
}

export function methodNotAllowedError(method: string): TwilioErrorBody {
  return twilioError(405, 20004, `Method not allowed: ${method}`);
}

export function invalidParameterError(message: string): TwilioErrorBody {
  return twilioError(400, 20001, message);
}

export function monoAsDualChannelError(): TwilioErrorBody {
  return twilioError(400, 16113, 'Cannot download a dual-channel presentation of a mono recording');
}

export function rateLimitError(): TwilioErrorBody {
  return twilioError(429, 20429, 'Too Many Requests');
}

export function serverError(status: number): TwilioErrorBody {
  return status === 503
    ? twilioError(503, 20503, 'Service unavailable')
    : twilioError(status, 20500, 'An internal server error has occurred');
}
