import { readTextFile } from './text-file.ts';

export interface SecretFiles {
  /** Values read from `<NAME>_FILE`, by NAME. */
  values: Record<string, string>;
  /** The file each of those values came from, by NAME. */
  paths: Map<string, string>;
  /** Variables whose file could not be used: their other problems would only repeat this one. */
  failed: Set<string>;
  problems: string[];
}

/**
 * The Docker secrets convention: `<NAME>_FILE` names a file that holds NAME's value (trailing newlines
 * trimmed), for each variable in `readable`. Setting both is a mistake worth stopping for, as is `_FILE`
 * for a variable that cannot be read from a file. Messages name the variable and the path, never the content.
 */
export function readSecretFiles(
  env: Readonly<Record<string, string>>,
  readable: readonly string[],
  variables: readonly string[],
): SecretFiles {
  const files: SecretFiles = { values: {}, paths: new Map(), failed: new Set(), problems: [] };
  for (const name of variables) {
    const fileVariable = `${name}_FILE`;
    const path = env[fileVariable];
    if (path === undefined) continue;
    if (!readable.includes(name)) {
      files.problems.push(`${fileVariable}: ${name} cannot be read from a file; set ${name} itself`);
      continue;
    }
    if (env[name] !== undefined) {
      files.problems.push(`${fileVariable}: set ${name} or ${fileVariable}, not both`);
      files.failed.add(name);
      continue;
    }
    const read = readTextFile(path);
    if ('problem' in read) {
      files.problems.push(`${fileVariable}: ${read.problem}`);
      files.failed.add(name);
      continue;
    }
    const text = read.text.replace(/[\r\n]+$/, '');
    if (text === '') {
      files.problems.push(`${fileVariable}: ${path} is empty`);
      files.failed.add(name);
      continue;
    }
    files.values[name] = text;
    files.paths.set(name, path);
  }
  return files;
}
