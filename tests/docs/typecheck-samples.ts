import { mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import type { MarkdownSample } from './markdown-samples.js';

/** A compiler diagnostic, placed in the Markdown file it comes from. */
export interface SampleDiagnostic {
  /** `docs/core.md:42` (or the generated file for the shared prelude). */
  where: string;
  /** `TS2304: Cannot find name 'x'.` */
  message: string;
}

/** The result of compiling every sample in one program. */
export interface SamplesCheck {
  /** Diagnostics of each compiled sample, by its index in the samples given. */
  bySample: Map<number, SampleDiagnostic[]>;
  /** Diagnostics not tied to one sample: options, globals, the shared prelude. */
  general: SampleDiagnostic[];
  /** The generated files, for debugging (removed by {@link SamplesWorkspace.remove}). */
  files: string[];
}

/** Where the generated sample files go, and how to remove them. */
export interface SamplesWorkspace {
  dir: string;
  remove(): void;
}

/**
 * A directory for the generated `.ts` files: `tests/docs/.tmp/<name>`, emptied first. It must be
 * inside `tests/` so that the cloud SDKs and axios resolve from `tests/node_modules`, and under
 * `.tmp/`, which `.gitignore`, biome and the repository's tsconfig all leave alone. Test files
 * that run at the same time use different names.
 */
export function samplesWorkspace(repoRoot: string, name: string): SamplesWorkspace {
  const parent = join(repoRoot, 'tests', 'docs', '.tmp');
  const dir = join(parent, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      try {
        rmdirSync(parent); // only when no other workspace is left in it
      } catch {}
    },
  };
}

function slug(sample: MarkdownSample): string {
  return `${sample.file.replace(/[^A-Za-z0-9]+/g, '-')}-L${sample.line}.ts`;
}

function render(diagnostic: ts.Diagnostic): string {
  return `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
}

/**
 * Writes each sample that is not skipped to its own module (its prelude first, then its code, then
 * `export {}` so that every sample has its own scope) and type-checks them all in one program with
 * the compiler options of the repository's `tsconfig.json`, whose `paths` resolve `@failover/*` to
 * the packages' sources. `sharedPrelude` is written as a global declaration file of the program.
 */
export function typeCheckSamples(
  repoRoot: string,
  workspace: SamplesWorkspace,
  samples: readonly MarkdownSample[],
  sharedPrelude: string,
): SamplesCheck {
  const configPath = join(repoRoot, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) throw new Error(render(read.error));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, repoRoot, undefined, configPath);
  const options: ts.CompilerOptions = { ...parsed.options, noEmit: true, incremental: false };

  const preludeFile = join(workspace.dir, 'shared-prelude.d.ts');
  writeFileSync(preludeFile, sharedPrelude);

  const byFile = new Map<string, { index: number; offset: number }>();
  const files = [preludeFile];
  samples.forEach((sample, index) => {
    if (sample.skip !== undefined) return;
    const file = join(workspace.dir, slug(sample));
    const prelude = sample.prelude ? `${sample.prelude}\n` : '';
    writeFileSync(file, `${prelude}${sample.code}\nexport {};\n`);
    byFile.set(ts.sys.resolvePath(file), { index, offset: prelude ? prelude.split('\n').length - 1 : 0 });
    files.push(file);
  });

  const program = ts.createProgram({ rootNames: files, options });
  const bySample = new Map<number, SampleDiagnostic[]>();
  const general: SampleDiagnostic[] = [];

  for (const diagnostic of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]) {
    general.push({ where: 'program', message: render(diagnostic) });
  }
  for (const sourceFile of program.getRootFileNames().map((f) => program.getSourceFile(f))) {
    if (!sourceFile) continue;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(sourceFile),
      ...program.getSemanticDiagnostics(sourceFile),
    ];
    const owner = byFile.get(ts.sys.resolvePath(sourceFile.fileName));
    for (const diagnostic of diagnostics) {
      const { line } = sourceFile.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      if (!owner) {
        general.push({
          where: `${relative(repoRoot, sourceFile.fileName)}:${line + 1}`,
          message: render(diagnostic),
        });
        continue;
      }
      const sample = samples[owner.index] as MarkdownSample;
      const inPrelude = line < owner.offset;
      const where = inPrelude
        ? `${sample.file}:${sample.line - 1} (sample-prelude)`
        : `${sample.file}:${sample.line + line - owner.offset}`;
      const list = bySample.get(owner.index) ?? [];
      list.push({ where, message: render(diagnostic) });
      bySample.set(owner.index, list);
    }
  }
  return { bySample, general, files };
}
