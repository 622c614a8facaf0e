import type { UIMessage } from 'ai';
import { describe, expect, it } from 'vitest';
import {
  baseName,
  diffLines,
  fileOfToolCall,
  filesChangedText,
  mayChangeFiles,
  totals,
  turnIdOf,
} from '../src/changes/changes';
import type { ChangedFile } from '../src/desktop/types';

const file = (path: string, additions = 1, deletions = 0): ChangedFile => ({
  path,
  status: 'modified',
  untracked: false,
  additions,
  deletions,
  diff: '',
});

describe('a turn\'s changes', () => {
  it('splits a unified diff into lines without its header', () => {
    const diff = [
      '--- a/w/plan.md',
      '+++ b/w/plan.md',
      '@@ -1,3 +1,3 @@',
      ' # Plan',
      '-old line',
      '+new line',
      '++plus at start',
      '--- not a header inside a hunk',
      '',
      '\\ No newline at end of file',
      '',
    ].join('\n');
    expect(diffLines(diff)).toEqual([
      { kind: 'hunk', text: '@@ -1,3 +1,3 @@' },
      { kind: 'same', text: '# Plan' },
      { kind: 'del', text: 'old line' },
      { kind: 'add', text: 'new line' },
      { kind: 'add', text: '+plus at start' },
      { kind: 'del', text: '-- not a header inside a hunk' },
      { kind: 'same', text: '' },
      { kind: 'note', text: '\\ No newline at end of file' },
    ]);
    expect(diffLines('')).toEqual([]);
  });

  it('counts files and lines', () => {
    expect(totals([file('/a', 3, 1), file('/b', 0, 2)])).toEqual({ files: 2, additions: 3, deletions: 3 });
    expect(filesChangedText(1)).toBe('1 file changed');
    expect(filesChangedText(2)).toBe('2 files changed');
    expect(baseName('/home/u/plan.md')).toBe('plan.md');
    expect(baseName('plain')).toBe('plain');
  });

  it('finds the file a write tool call is about', () => {
    const files = [file('/w/src/a.ts'), file('/w/notes/a.ts'), file('/w/out.txt')];
    expect(fileOfToolCall('write_file', { path: 'out.txt' }, files)?.path).toBe('/w/out.txt');
    expect(fileOfToolCall('edit_file', { path: './notes/a.ts' }, files)?.path).toBe('/w/notes/a.ts');
    expect(fileOfToolCall('edit_file', { path: 'missing.md' }, files)).toBeNull();
    expect(fileOfToolCall('read_file', { path: 'out.txt' }, files)).toBeNull();
    expect(fileOfToolCall('write_file', {}, files)).toBeNull();
    // A document session changes its document only.
    expect(fileOfToolCall('edit_document', { edits: [] }, [file('/d/plan.md')])?.path).toBe('/d/plan.md');
    expect(fileOfToolCall('edit_document', {}, files)).toBeNull();
  });

  it('reads the turn of an answer, and whether it may have written', () => {
    const answer = (parts: UIMessage['parts'], metadata?: unknown): UIMessage => ({
      id: 'm',
      role: 'assistant',
      parts,
      metadata,
    });
    expect(turnIdOf(answer([], { sessionId: 's', turnId: 'turn_1' }))).toBe('turn_1');
    expect(turnIdOf(answer([], { status: 'complete', turnId: 'turn_2' }))).toBe('turn_2');
    expect(turnIdOf(answer([], { status: 'complete', turn_id: 'turn_3' }))).toBeNull();
    expect(turnIdOf(answer([], { status: 'complete' }))).toBeNull();
    expect(turnIdOf({ id: 'u', role: 'user', parts: [], metadata: { turnId: 't' } })).toBeNull();

    const tool = (name: string) =>
      ({ type: `tool-${name}`, toolCallId: 'c', state: 'output-available', input: {}, output: {} }) as UIMessage['parts'][number];
    expect(mayChangeFiles(answer([{ type: 'text', text: 'hi' }]))).toBe(false);
    expect(mayChangeFiles(answer([tool('read_file')]))).toBe(false);
    for (const name of ['write_file', 'edit_file', 'edit_document', 'run_command']) {
      expect(mayChangeFiles(answer([tool(name)]))).toBe(true);
    }
    const dynamic = { type: 'dynamic-tool', toolName: 'edit_document', toolCallId: 'c', state: 'input-available', input: {} };
    expect(mayChangeFiles(answer([dynamic as UIMessage['parts'][number]]))).toBe(true);
  });
});
