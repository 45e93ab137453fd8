import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round, type Summary } from './stats';

/** Units the figures are reported in. */
export type Unit = 'us' | 'ms' | 'req/s' | 'MB' | 'MB/s' | 'x' | '%';

/** One measured figure: the subject, and the baseline measured in the same run. */
export interface Figure {
  /** Stable key, e.g. `invoke.reuse.noop` (docs and comparisons refer to it). */
  readonly id: string;
  readonly label: string;
  readonly unit: Unit;
  readonly subject: Summary;
  readonly baseline?: { readonly label: string; readonly summary: Summary };
  /** Subject median over baseline median (for rates: subject over baseline, higher is better). */
  readonly ratio?: number;
  /** Subject median minus baseline median, in `unit` (latency overhead). */
  readonly overhead?: number;
  readonly note?: string;
}

/** A target from the issue, checked against a figure of this run. */
export interface Target {
  readonly id: string;
  readonly description: string;
  readonly value: number;
  readonly limit: number;
  readonly unit: Unit;
  readonly op: '<=' | '>=';
  readonly met: boolean;
  /** What the value is relative to (the ratio the issue asks for), e.g. `0.62x node:http`. */
  readonly ratio?: string;
}

/** What one bench area wrote into `bench/results/latest.json`. */
export interface AreaResult {
  readonly title: string;
  readonly at: string;
  readonly gitSha: string;
  readonly node: string;
  readonly quick: boolean;
  readonly machine: MachineInfo;
  /** 1-, 5- and 15-minute load averages when the area started and ended. */
  readonly load: { readonly start: number[]; readonly end: number[] };
  readonly figures: Figure[];
  readonly targets: Target[];
  readonly notes: string[];
}

/** The machine a run was taken on. */
export interface MachineInfo {
  readonly cpus: number;
  readonly model: string;
  readonly memoryGiB: number;
  readonly platform: string;
}

/** The whole results file. */
export interface ResultsFile {
  updatedAt: string;
  areas: Record<string, AreaResult>;
}

/** `bench/` (this file lives in `bench/lib/`). */
export const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));
/** Where every area's latest figures are merged. */
export const RESULTS_PATH = join(BENCH_DIR, 'results', 'latest.json');

function gitSha(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: BENCH_DIR,
      encoding: 'utf8',
    }).trim();
  } catch {
    return 'unknown';
  }
}

function machine(): MachineInfo {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: round(totalmem() / 2 ** 30, 3),
    platform: `${platform()} ${release()}`,
  };
}

const loadNow = () => loadavg().map((value) => round(value, 3));

function roundSummary(summary: Summary): Summary {
  return {
    n: summary.n,
    min: round(summary.min),
    median: round(summary.median),
    p99: round(summary.p99),
    mean: round(summary.mean),
  };
}

/** Formats a value for a table in its unit. */
export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  if (unit === 'req/s') return Math.round(value).toLocaleString('en-US');
  // Small ratios keep three decimals: 0.003x and 0.004x are different findings.
  if (unit === 'x') return `${Math.abs(value) < 0.095 ? value.toFixed(3) : value.toFixed(2)}x`;
  if (unit === '%') return `${value.toFixed(1)}%`;
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A value and its unit (ratios and percentages carry theirs already). */
export function withUnit(value: number, unit: Unit): string {
  return unit === 'x' || unit === '%'
    ? formatValue(value, unit)
    : `${formatValue(value, unit)} ${unit}`;
}

/** Prints rows as an aligned plain-text table. */
export function printTable(title: string, header: readonly string[], rows: readonly string[][]) {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
}

/** Rows of the figures table, shared by the console and the docs writer. */
export function figureRows(figures: readonly Figure[]): { header: string[]; rows: string[][] } {
  const notes = figures.some((figure) => figure.note !== undefined);
  return {
    header: [
      'figure',
      'unit',
      'min',
      'median',
      'p99',
      'baseline (median)',
      'ratio',
      'overhead',
      ...(notes ? ['note'] : []),
    ],
    rows: figures.map((figure) => [
      figure.label,
      figure.unit,
      formatValue(figure.subject.min, figure.unit),
      formatValue(figure.subject.median, figure.unit),
      formatValue(figure.subject.p99, figure.unit),
      figure.baseline === undefined
        ? '-'
        : `${formatValue(figure.baseline.summary.median, figure.unit)} (${figure.baseline.label})`,
      figure.ratio === undefined ? '-' : formatValue(figure.ratio, 'x'),
      figure.overhead === undefined ? '-' : formatValue(figure.overhead, figure.unit),
      ...(notes ? [figure.note ?? ''] : []),
    ]),
  };
}

/** Rows of the targets table. */
export function targetRows(targets: readonly Target[]): { header: string[]; rows: string[][] } {
  return {
    header: ['target', 'measured', 'limit', 'relative', 'met'],
    rows: targets.map((target) => [
      target.description,
      withUnit(target.value, target.unit),
      `${target.op} ${withUnit(target.limit, target.unit)}`,
      target.ratio ?? '-',
      target.met ? 'yes' : 'NO',
    ]),
  };
}

/**
 * Collects the figures of one bench area, prints them as tables and merges them into
 * `bench/results/latest.json` (machine, Node version, git sha, time and load included).
 */
export class Report {
  readonly #area: string;
  readonly #title: string;
  readonly #quick: boolean;
  readonly #figures: Figure[] = [];
  readonly #targets: Target[] = [];
  readonly #notes: string[] = [];
  readonly #loadStart = loadNow();

  constructor(area: string, title: string, quick: boolean) {
    this.#area = area;
    this.#title = title;
    this.#quick = quick;
    console.log(
      `${title}${quick ? ' (quick)' : ''}: load average ${this.#loadStart.join(' / ')} on ${cpus().length} cores`,
    );
  }

  /** Adds a figure and prints it as one line, so long runs show progress. */
  add(figure: Figure): Figure {
    const stored: Figure = {
      ...figure,
      subject: roundSummary(figure.subject),
      ...(figure.baseline === undefined
        ? {}
        : {
            baseline: {
              label: figure.baseline.label,
              summary: roundSummary(figure.baseline.summary),
            },
          }),
      ...(figure.ratio === undefined ? {} : { ratio: round(figure.ratio) }),
      ...(figure.overhead === undefined ? {} : { overhead: round(figure.overhead) }),
    };
    this.#figures.push(stored);
    const { median, p99 } = figure.subject;
    const base =
      figure.baseline === undefined
        ? ''
        : ` | baseline ${formatValue(figure.baseline.summary.median, figure.unit)}`;
    const ratio = figure.ratio === undefined ? '' : ` | ${formatValue(figure.ratio, 'x')}`;
    console.log(
      `  ${figure.label}: median ${formatValue(median, figure.unit)} p99 ${formatValue(p99, figure.unit)} ${figure.unit}${base}${ratio}`,
    );
    return stored;
  }

  /**
   * Adds a latency figure against its baseline, with the ratio and the overhead worked out from
   * the two medians (subject over baseline, subject minus baseline).
   */
  compare(
    figure: Omit<Figure, 'baseline' | 'ratio' | 'overhead'> & {
      readonly baseline: NonNullable<Figure['baseline']>;
    },
  ): Figure {
    const { subject, baseline } = figure;
    return this.add({
      ...figure,
      ratio: subject.median / baseline.summary.median,
      overhead: subject.median - baseline.summary.median,
    });
  }

  /** Checks a target against a value measured in this run. */
  target(target: Omit<Target, 'met'>): Target {
    const met = target.op === '<=' ? target.value <= target.limit : target.value >= target.limit;
    const stored: Target = { ...target, value: round(target.value), met };
    this.#targets.push(stored);
    return stored;
  }

  /** A sentence printed under the tables and kept in the results (how to read a figure). */
  note(text: string): void {
    this.#notes.push(text);
  }

  /** Prints the tables and merges this area into the results file. */
  async finish(): Promise<AreaResult> {
    const figures = figureRows(this.#figures);
    printTable(this.#title, figures.header, figures.rows);
    if (this.#targets.length > 0) {
      const targets = targetRows(this.#targets);
      printTable('Targets', targets.header, targets.rows);
    }
    for (const note of this.#notes) console.log(`note: ${note}`);
    const result: AreaResult = {
      title: this.#title,
      at: new Date().toISOString(),
      gitSha: gitSha(),
      node: process.version,
      quick: this.#quick,
      machine: machine(),
      load: { start: this.#loadStart, end: loadNow() },
      figures: this.#figures,
      targets: this.#targets,
      notes: this.#notes,
    };
    console.log(`load average at the end: ${result.load.end.join(' / ')}`);
    await mergeResult(this.#area, result);
    return result;
  }
}

/** Reads the results file (an empty one when there is none yet). */
export async function readResults(): Promise<ResultsFile> {
  try {
    return JSON.parse(await readFile(RESULTS_PATH, 'utf8')) as ResultsFile;
  } catch {
    return { updatedAt: new Date(0).toISOString(), areas: {} };
  }
}

async function mergeResult(area: string, result: AreaResult): Promise<void> {
  const results = await readResults();
  results.areas[area] = result;
  results.updatedAt = result.at;
  await mkdir(dirname(RESULTS_PATH), { recursive: true });
  // Areas run one after another, but a reader (the docs writer) must never see half a file.
  const staging = `${RESULTS_PATH}.${process.pid}.tmp`;
  await writeFile(staging, `${JSON.stringify(results, null, 2)}\n`);
  await rename(staging, RESULTS_PATH);
}
