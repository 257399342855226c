export type { AuthKind } from './basic-auth.ts';
export {
  type CallbackStatus,
  callbackParamsFor,
  type SendRecordingStatusCallbackInput,
  sendRecordingStatusCallback,
} from './callbacks.ts';
export type { ConcurrencyStats } from './concurrency-cap.ts';
export {
  type ExpectedMedia,
  type MediaRequestOptions,
  startTwilioEmulator,
  type TwilioEmulator,
  type TwilioEmulatorOptions,
} from './emulator.ts';
export type { Fault, FaultEffect, FaultKind, FaultRoute, FaultSpec, MediaLie } from './faults.ts';
export {
  type MediaFormat,
  MP3_BYTES_PER_SECOND,
  mediaByteLength,
  mediaContentType,
  WAV_BYTES_PER_SECOND_PER_CHANNEL,
  WAV_HEADER_BYTES,
} from './media-generator.ts';
export type { RecordingPage } from './recording-page.ts';
export type { RecordingResource } from './recording-resource.ts';
export type {
  AccountInput,
  ApiKey,
  EmulatorAccount,
  EncryptionDetails,
  RecordingCounts,
  RecordingInput,
  RecordingSource,
  RecordingStatus,
  RecordingTrack,
} from './recording-store.ts';
export type { LoggedRoute, RequestLogEntry } from './request-log.ts';
export { formatRfc2822 } from './rfc2822.ts';
export { demoRecordingInputs, type SeedRecordingsInput, seedRecordingInputs } from './seed.ts';
export { type SeededRandom, seededRandom } from './seeded-random.ts';
export { isSid, makeSid, type SidPrefix } from './sid.ts';
export type {
  TranscriptionInput,
  TranscriptionResource,
  TranscriptionStatus,
} from './transcription-resource.ts';
export type { TwilioErrorBody } from './twilio-error.ts';
