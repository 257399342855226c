import type { Row } from './verify.ts';

export type TableLine = Row | { section: string };

/** One plain-text table: figures, then checks marked ok or FAIL. */
export function formatTable(title: string, lines: readonly TableLine[]): string {
  const rows = lines.filter((line): line is Row => 'label' in line);
  const labelWidth = Math.max(...rows.map((line) => line.label.length), title.length - 20);
  const valueWidth = Math.max(...rows.map((line) => line.value.length));
  const width = 2 + labelWidth + 2 + valueWidth + 2 + 4;
  const rule = '-'.repeat(width);
  const out = [rule, ` ${title}`, rule];
  for (const line of lines) {
    if ('section' in line) {
      out.push(` ${line.section}`);
      continue;
    }
    const mark = line.ok === undefined ? '' : line.ok ? 'ok' : 'FAIL';
    out.push(`   ${line.label.padEnd(labelWidth)}  ${line.value.padStart(valueWidth)}  ${mark}`.trimEnd());
  }
  out.push(rule);
  return `${out.join('\n')}\n`;
}
