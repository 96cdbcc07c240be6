/**
 * Finds the TypeScript code samples of a Markdown file, with the markers that tell the samples test
 * how to compile them.
 *
 * A sample is a fenced block whose info string starts with `ts` or `typescript`. HTML comments
 * right before its fence (blank lines may come between) configure it:
 *
 * - `<!-- sample-prelude: declare const s3Client: import('@aws-sdk/client-s3').S3Client; -->`:
 *   TypeScript added in front of the sample when it is compiled, for what a fragment uses without
 *   defining it: the application's own objects (`declare const ...`), and imports the fragment
 *   leaves out (`import { faults } from '@failover/testkit';`). It may span several lines; several
 *   preludes add up. Do not import a name the sample imports itself; `import('module').Type`
 *   refers to a type without importing it.
 * - `<!-- sample: skip (reason) -->`: the sample is not compiled. The reason is required. Use it
 *   only for what cannot compile by nature (a fragment of a type, pseudo-code).
 *
 * Any other comment starting with `<!-- sample` is an error, and so is a marker that no
 * TypeScript block follows, so a typo never silently disables a check.
 */

/** One TypeScript sample of a Markdown file. */
export interface MarkdownSample {
  /** The Markdown file, as given to {@link extractSamples}. */
  file: string;
  /** 1-based line of the sample's first code line in the Markdown file. */
  line: number;
  /** The sample's code. */
  code: string;
  /** TypeScript declared by `sample-prelude` markers, in order, or `''`. */
  prelude: string;
  /** The reason given by a `sample: skip (reason)` marker, when the sample is skipped. */
  skip?: string;
}

/** A marker the extractor cannot accept, with its place. */
export interface MarkerProblem {
  file: string;
  line: number;
  message: string;
}

/** The samples of one Markdown file and the problems found with its markers. */
export interface ExtractResult {
  samples: MarkdownSample[];
  problems: MarkerProblem[];
}

interface PendingMarker {
  line: number;
  prelude?: string;
  skip?: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const SAMPLE_LANGUAGES = new Set(['ts', 'typescript']);
const PRELUDE = /^<!--\s*sample-prelude:([\s\S]*?)-->\s*$/;
const SKIP = /^<!--\s*sample:\s*skip\s*\(([^)]*)\)\s*-->\s*$/;

/** Reads a comment starting at `lines[start]`; returns its text and the index of its last line. */
function readComment(lines: readonly string[], start: number): { text: string; end: number } | undefined {
  let text = '';
  for (let i = start; i < lines.length; i++) {
    text += (i === start ? '' : '\n') + (lines[i] ?? '').trim();
    if ((lines[i] ?? '').includes('-->')) return { text, end: i };
  }
  return undefined;
}

/** Parses a `<!-- sample... -->` comment into a marker, or describes what is wrong with it. */
function parseMarker(text: string, line: number): PendingMarker | string {
  const prelude = PRELUDE.exec(text);
  if (prelude) {
    const code = (prelude[1] ?? '').trim();
    return code ? { line, prelude: code } : 'empty sample-prelude';
  }
  const skip = SKIP.exec(text);
  const reason = (skip?.[1] ?? '').trim();
  if (reason) return { line, skip: reason };
  if (/^<!--\s*sample:\s*skip\b/.test(text))
    return 'sample: skip needs a reason: <!-- sample: skip (why) -->';
  return `unknown sample marker ${JSON.stringify(text.slice(0, 60))}: use <!-- sample-prelude: ... --> or <!-- sample: skip (reason) -->`;
}

/**
 * Extracts every TypeScript sample of `markdown` (the content of `file`), with its markers.
 * `file` only labels the results.
 */
export function extractSamples(file: string, markdown: string): ExtractResult {
  const lines = markdown.split(/\r?\n/);
  const samples: MarkdownSample[] = [];
  const problems: MarkerProblem[] = [];
  let pending: PendingMarker[] = [];

  const dropPending = (): void => {
    for (const marker of pending) {
      problems.push({ file, line: marker.line, message: 'sample marker not followed by a ```ts block' });
    }
    pending = [];
  };

  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const fence = FENCE.exec(text);
    if (fence) {
      const marker = fence[1] ?? '```';
      const language = (fence[2] ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
      let end = i + 1;
      while (end < lines.length) {
        const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[end] ?? '')?.[1] ?? '';
        if (close[0] === marker[0] && close.length >= marker.length) break;
        end++;
      }
      if (SAMPLE_LANGUAGES.has(language)) {
        const skip = pending.find((m) => m.skip !== undefined)?.skip;
        const sample: MarkdownSample = {
          file,
          line: i + 2,
          code: lines.slice(i + 1, end).join('\n'),
          prelude: pending
            .map((m) => m.prelude)
            .filter((p): p is string => p !== undefined)
            .join('\n'),
        };
        if (skip !== undefined) sample.skip = skip;
        samples.push(sample);
        pending = [];
      } else {
        dropPending();
      }
      i = end;
      continue;
    }
    const trimmed = text.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith('<!--')) {
      const comment = readComment(lines, i);
      if (!comment) {
        problems.push({ file, line: i + 1, message: 'unterminated HTML comment' });
        break;
      }
      if (/^<!--\s*sample/.test(comment.text)) {
        const parsed = parseMarker(comment.text, i + 1);
        if (typeof parsed === 'string') problems.push({ file, line: i + 1, message: parsed });
        else pending.push(parsed);
      } else {
        dropPending();
      }
      i = comment.end;
      continue;
    }
    dropPending();
  }
  dropPending();
  return { samples, problems };
}
