/**
 * Errors in the shape of Twilio's 2010 API (`{code, message, more_info, status}`), so that the twilio SDK
 * raises its usual RestException and plain clients read what they read from Twilio. `reason` names the
 * refusal for metrics and logs; it is never sent.
 */
export class ApiRefusal {
  readonly status: number;
  readonly code: number;
  readonly message: string;
  readonly reason: RefusalReason;
  readonly headers: Readonly<Record<string, string>>;

  constructor(fields: {
    status: number;
    code: number;
    message: string;
    reason: RefusalReason;
    headers?: Record<string, string>;
  }) {
    this.status = fields.status;
    this.code = fields.code;
    this.message = fields.message;
    this.reason = fields.reason;
    this.headers = fields.headers ?? {};
  }
}

export type RefusalReason =
  | 'unauthenticated'
  | 'throttled'
  | 'not-archived'
  | 'bad-path'
  | 'bad-query'
  | 'bad-body'
  | 'format-not-stored'
  | 'range-not-satisfiable'
  | 'link-tampered'
  | 'link-expired'
  | 'method-not-allowed'
  | 'unavailable'
  | 'integrity'
  | 'internal';

export function errorBody(refusal: ApiRefusal) {
  return {
    code: refusal.code,
    message: refusal.message,
    more_info: `https://www.twilio.com/docs/errors/${refusal.code}`,
    status: refusal.status,
  };
}

/** Twilio's realm: clients that answer a challenge (curl --anyauth, browsers) recognise it. */
export const authChallenge = 'Basic realm="Twilio API"';

export const refusals = {
  unauthenticated: (): ApiRefusal =>
    new ApiRefusal({
      status: 401,
      code: 20003,
      message: 'Authenticate',
      reason: 'unauthenticated',
      headers: { 'WWW-Authenticate': authChallenge },
    }),
  notFound: (path: string): ApiRefusal =>
    new ApiRefusal({
      status: 404,
      code: 20404,
      message: `The requested resource ${path} was not found`,
      reason: 'not-archived',
    }),
  badPath: (path: string, why: string): ApiRefusal =>
    new ApiRefusal({
      status: 404,
      code: 20404,
      message: `The requested resource ${path} was not found: ${why}`,
      reason: 'bad-path',
    }),
  invalidParameter: (message: string, reason: RefusalReason = 'bad-query'): ApiRefusal =>
    new ApiRefusal({
      status: 400,
      code: 20001,
      message,
      reason,
    }),
  formatNotStored: (stored: string, asked: string, encrypted = false): ApiRefusal =>
    new ApiRefusal({
      status: 406,
      code: 20001,
      message: encrypted
        ? `This recording is archived encrypted as ${stored}: ciphertext cannot be transcoded; ask for .${stored}`
        : `This recording is archived as ${stored}; ask for .${stored} (${asked} is not available from the archive)`,
      reason: 'format-not-stored',
    }),
  rangeNotSatisfiable: (size: number): ApiRefusal =>
    new ApiRefusal({
      status: 416,
      code: 20001,
      message: `Requested range not satisfiable: the recording has ${size} bytes`,
      reason: 'range-not-satisfiable',
      headers: { 'Content-Range': `bytes */${size}` },
    }),
  linkTampered: (): ApiRefusal =>
    new ApiRefusal({
      status: 403,
      code: 20003,
      message: 'This link is not valid',
      reason: 'link-tampered',
    }),
  linkExpired: (): ApiRefusal =>
    new ApiRefusal({
      status: 410,
      code: 20404,
      message: 'This link has expired',
      reason: 'link-expired',
    }),
  methodNotAllowed: (method: string, allowed: string): ApiRefusal =>
    new ApiRefusal({
      status: 405,
      code: 20004,
      message: `Method not allowed: ${method}`,
      reason: 'method-not-allowed',
      headers: { Allow: allowed },
    }),
  throttled: (seconds: number): ApiRefusal =>
    new ApiRefusal({
      status: 429,
      code: 20429,
      message: 'Too Many Requests',
      reason: 'throttled',
      headers: { 'Retry-After': String(seconds) },
    }),
  unavailable: (): ApiRefusal =>
    new ApiRefusal({
      status: 503,
      code: 20503,
      message: 'Service unavailable',
      reason: 'unavailable',
      headers: { 'Retry-After': '5' },
    }),
  integrity: (): ApiRefusal =>
    new ApiRefusal({
      status: 500,
      code: 20500,
      message: 'The archived recording cannot be served: its stored copy does not match the archive record',
      reason: 'integrity',
    }),
  internal: (): ApiRefusal =>
    new ApiRefusal({
      status: 500,
      code: 20500,
      message: 'An internal server error has occurred',
      reason: 'internal',
    }),
};
