// Copies the figures of bench/results/latest.json into docs/performance.md, between the
// `<!-- bench:<area> -->` and `<!-- /bench:<area> -->` markers (and all targets between
// `<!-- bench:targets -->` markers). Text outside the markers is left as written.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AreaResult,
  BENCH_DIR,
  figureRows,
  readResults,
  type Target,
  targetRows,
} from './lib/report';

const DOC = join(BENCH_DIR, '..', 'docs', 'performance.md');

function markdownTable(header: readonly string[], rows: readonly string[][]): string {
  const escapeCell = (cell: string) => cell.replaceAll('|', '\\|');
  const align = header.map((_, column) => (column === 0 ? '---' : '---:'));
  return [header, align, ...rows].map((row) => `| ${row.map(escapeCell).join(' | ')} |`).join('\n');
}

function runLine(area: AreaResult): string {
  const day = area.at.slice(0, 16).replace('T', ' ');
  return `Run ${day} UTC, git ${area.gitSha}, Node ${area.node}, ${area.machine.cpus} × ${area.machine.model}, ${area.quick ? '**quick** run' : 'full run'}; load average ${area.load.start[0]} at start, ${area.load.end[0]} at end.`;
}

function areaSection(area: AreaResult): string {
  const figures = figureRows(area.figures);
  const parts = [runLine(area), '', markdownTable(figures.header, figures.rows)];
  if (area.targets.length > 0) {
    const targets = targetRows(area.targets);
    parts.push('', markdownTable(targets.header, targets.rows));
  }
  return parts.join('\n');
}

/** Every area's targets, in the order the page presents the areas (not the order they last ran). */
function targetsSection(areas: Record<string, AreaResult>, doc: string): string {
  const sections = [...doc.matchAll(/<!-- bench:([a-z-]+) -->/g)].map((match) => match[1]);
  const position = (name: string) => {
    const at = sections.indexOf(name);
    return at < 0 ? sections.length : at;
  };
  const all: Target[] = Object.entries(areas)
    .sort(([a], [b]) => position(a) - position(b))
    .flatMap(([, area]) => area.targets);
  if (all.length === 0) return '_No results yet: run `npm run bench -- --write-docs`._';
  const table = targetRows(all);
  return markdownTable(table.header, table.rows);
}

function replaceBetween(text: string, name: string, body: string): string {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) {
    console.warn(`docs/performance.md has no ${open} ... ${close} markers; ${name} skipped`);
    return text;
  }
  return `${text.slice(0, start + open.length)}\n${body}\n${text.slice(end)}`;
}

const results = await readResults();
let doc = await readFile(DOC, 'utf8');
doc = replaceBetween(doc, 'targets', targetsSection(results.areas, doc));
for (const [name, area] of Object.entries(results.areas)) {
  doc = replaceBetween(doc, name, areaSection(area));
}
await writeFile(DOC, doc);
console.log(`docs/performance.md: ${Object.keys(results.areas).length} area(s) written`);
