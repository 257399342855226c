export {
  type ArchiveEntry,
  type ArchiveFormat,
  ArchiveSidecar,
  entryFromSidecar,
  type IndexedRecording,
  InvalidSidecarError,
} from './archive-entry.ts';
export {
  type ArchiveIndex,
  type ArchiveIndexDeps,
  createArchiveIndex,
  type ListedRecording,
  type ListQuery,
  type ListResult,
} from './archive-index.ts';
export { hashTagOf, type IndexKeys, indexKeys, orderMember, parseOrderMember } from './index-keys.ts';
export type { ReindexOptions, ReindexProblem, ReindexReport, SidecarSource } from './reindex.ts';
export {
  defaultScrubConcurrency,
  listAll,
  type ScrubOptions,
  type ScrubProblem,
  type ScrubProblemKind,
  type ScrubReport,
  scrubArchive,
} from './scrub.ts';
