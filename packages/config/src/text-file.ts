import { readFileSync } from 'node:fs';

const reasons: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder',
  ENOTDIR: 'a part of the path is not a folder',
};

/** A file's text, or why it cannot be read in words that name the path and never the content. */
export function readTextFile(path: string): { text: string } | { problem: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const reason = reasons[code];
    return { problem: `cannot read ${path} (${reason ? `${code}: ${reason}` : code})` };
  }
}
