import { EditorSelection, EditorState } from '@codemirror/state';
import { describe, expect, it } from 'vitest';
import { fromDisk, replaceInPlace } from '../src/documents/apply';
import { applyChanges, diffView, textChanges } from '../src/documents/diff';
import { MARK_MINE, MARK_SPLIT, MARK_THEIRS, mergeThreeWay, splitKeepingEnds } from '../src/documents/merge';
import { isDirty, reduceDoc, resolveIncoming, type DocAction, type DocModel } from '../src/documents/model';
import { selectionOnDisk } from '../src/documents/selection';

describe('textChanges', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['', 'new\n'],
    ['old\n', ''],
    ['a\nb\nc\n', 'a\nb\nc\n'],
    ['a\nb\nc\n', 'a\nX\nb\nc\n'],
    ['a\nb\nc\n', 'a\nc\n'],
    ['a\nb\nc', 'a\nb\nc\n'],
    ['one two three\n', 'one 2 three\n'],
    ['x\n', 'new\nx\n'],
    ['y\n', 'zy\n'],
    ['\nfoo\n', '\n\nfoo\n'],
    ['héllo 😀\nwörld\n', 'héllo 😀!\nwörld\n'],
    ['a\r\nb\r\n', 'a\r\nB\r\n'],
    ['p1\n\np2\n\np3\n', 'p0\n\np1\n\np2 changed\n\np3\n\np4\n'],
  ];

  it('turns the old text into the new one', () => {
    for (const [a, b] of cases) expect(applyChanges(a, textChanges(a, b))).toBe(b);
  });

  it('touches only what differs, in order, without overlaps', () => {
    expect(textChanges('a\nb\nc\n', 'a\nX\nb\nc\n')).toEqual([{ from: 2, to: 2, insert: 'X\n' }]);
    expect(textChanges('one two three\n', 'one 2 three\n')).toEqual([{ from: 4, to: 7, insert: '2' }]);
    const changes = textChanges('p1\n\np2\n\np3\n', 'p0\n\np1\n\np2 changed\n\np3\n\np4\n');
    expect(changes.length).toBeGreaterThan(1);
    for (let i = 1; i < changes.length; i++) expect(changes[i]!.from).toBeGreaterThanOrEqual(changes[i - 1]!.to);
  });

  it('holds on random edits', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const words = ['a', 'b', 'c\n', '\n', 'dé', ' ', 'x\r\n'];
    const text = (n: number) => Array.from({ length: n }, () => words[rand(words.length)]).join('');
    for (let i = 0; i < 300; i++) {
      const a = text(rand(40));
      const b = rand(2) ? text(rand(40)) : a.slice(0, rand(a.length + 1)) + text(rand(5)) + a.slice(rand(a.length + 1));
      expect(applyChanges(a, textChanges(a, b))).toBe(b);
    }
  });
});

describe('replaceInPlace (a clean editor takes the text from disk)', () => {
  function edit(doc: string, selection: EditorSelection, next: string) {
    const state = EditorState.create({ doc, selection, extensions: EditorState.allowMultipleSelections.of(true) });
    const spec = replaceInPlace(state, next);
    expect(spec).not.toBeNull();
    const tr = state.update(spec!);
    return tr;
  }

  it('keeps the cursor on the same text when a line is inserted above', () => {
    const doc = 'first\nsecond\nthird\n';
    const cursor = doc.indexOf('ond'); // inside "second"
    const tr = edit(doc, EditorSelection.single(cursor), 'first\nthe agent was here\nsecond\nthird\n');
    const head = tr.state.selection.main.head;
    expect(tr.state.doc.toString()).toBe('first\nthe agent was here\nsecond\nthird\n');
    expect(tr.state.sliceDoc(head, head + 3)).toBe('ond');
    expect(tr.state.doc.lineAt(head).text).toBe('second');
    expect(tr.annotation(fromDisk)).toBe(true);
  });

  it('maps a selection and several ranges through edits before, inside and after them', () => {
    const doc = 'alpha\nbeta gamma\ndelta\nomega\n';
    const from = doc.indexOf('gamma');
    const sel = EditorSelection.create([
      EditorSelection.range(from, from + 5),
      EditorSelection.cursor(doc.indexOf('mega')),
    ]);
    const tr = edit(doc, sel, 'ALPHA\nalpha\nbeta gamma\nomega\nend\n');
    const [range, cursor] = tr.state.selection.ranges;
    expect(tr.state.sliceDoc(range!.from, range!.to)).toBe('gamma');
    expect(tr.state.sliceDoc(cursor!.head, cursor!.head + 4)).toBe('mega');
  });

  it('changes nothing when the text is the same, and takes CRLF text as the editor keeps it', () => {
    const state = EditorState.create({ doc: 'a\nb\n' });
    expect(replaceInPlace(state, 'a\nb\n')).toBeNull();
    expect(replaceInPlace(state, 'a\r\nb\r\n')).toBeNull();
    const tr = state.update(replaceInPlace(state, 'a\r\nB\r\n')!);
    expect(tr.state.doc.toString()).toBe('a\nB\n');
    expect(tr.changes.length).toBe(4);
  });
});

describe('diffView (mine against theirs)', () => {
  it('shows changed lines with context and counts the rest', () => {
    const same = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const mine = [...same.slice(0, 10), 'my line', ...same.slice(10)].join('\n') + '\n';
    const theirs = [...same.slice(0, 10), 'their line', ...same.slice(10)].join('\n') + '\n';
    const view = diffView(mine, theirs, 2);
    expect(view.mine).toBe(1);
    expect(view.theirs).toBe(1);
    expect(view.rows).toEqual([
      { kind: 'skip', count: 8 },
      { kind: 'same', text: 'line 9' },
      { kind: 'same', text: 'line 10' },
      { kind: 'mine', text: 'my line' },
      { kind: 'theirs', text: 'their line' },
      { kind: 'same', text: 'line 11' },
      { kind: 'same', text: 'line 12' },
      { kind: 'skip', count: 8 },
    ]);
  });

  it('shows lines as they are, not aligned to where the common text starts mid-line', () => {
    expect(diffView('x\ny\n', 'x\nzy\n').rows).toEqual([
      { kind: 'same', text: 'x' },
      { kind: 'mine', text: 'y' },
      { kind: 'theirs', text: 'zy' },
    ]);
  });
});

describe('mergeThreeWay', () => {
  const base = 'title\n\nintro\n\nsecond section\n\nend\n';

  it('takes both sides when they changed different lines', () => {
    const mine = 'title\n\nintro, mine\n\nsecond section\n\nend\n';
    const theirs = 'title\n\nintro\n\nsecond section, tightened\n\nend\n';
    expect(mergeThreeWay(base, mine, theirs)).toEqual({
      text: 'title\n\nintro, mine\n\nsecond section, tightened\n\nend\n',
      conflicts: 0,
    });
  });

  it('marks lines both changed differently', () => {
    const mine = 'title\n\nintro\n\nsecond (mine)\n\nend\n';
    const theirs = 'title\n\nintro\n\nsecond (theirs)\n\nend\n';
    const r = mergeThreeWay(base, mine, theirs);
    expect(r.conflicts).toBe(1);
    expect(r.text).toBe(
      `title\n\nintro\n\n${MARK_MINE}\nsecond (mine)\n${MARK_SPLIT}\nsecond (theirs)\n${MARK_THEIRS}\n\nend\n`,
    );
  });

  it('does not call the same change on both sides a conflict', () => {
    const both = 'title\n\nintro\n\nsecond, same fix\n\nend\n';
    expect(mergeThreeWay(base, both, both)).toEqual({ text: both, conflicts: 0 });
  });

  it('keeps a conflict at a last line without a line end on lines of its own', () => {
    const r = mergeThreeWay('a\nb', 'a\nmine', 'a\ntheirs');
    expect(r.text).toBe(`a\n${MARK_MINE}\nmine\n${MARK_SPLIT}\ntheirs\n${MARK_THEIRS}\n`);
  });

  it('splits lines keeping their ends', () => {
    expect(splitKeepingEnds('a\r\nb\n\nc')).toEqual(['a\r\n', 'b\n', '\n', 'c']);
    expect(splitKeepingEnds('')).toEqual([]);
  });
});

describe('the document model', () => {
  const loaded = (content: string, mtime = '1'): DocModel =>
    reduceDoc(null, { type: 'loaded', path: '/d/plan.md', version: { content, mtime } })!;
  const run = (m: DocModel, ...actions: DocAction[]) => actions.reduce<DocModel>((s, a) => reduceDoc(s, a)!, m);

  it('a clean editor takes a change on disk in place', () => {
    const m = run(loaded('a\n'), { type: 'disk', version: { content: 'a\nb\n', mtime: '2' }, source: 'agent' });
    expect(m.draft).toBe('a\nb\n');
    expect(m.base).toEqual({ content: 'a\nb\n', mtime: '2' });
    expect(m.push).toEqual({ text: 'a\nb\n', seq: 1 });
    expect(m.loads).toBe(1); // not reloaded: the editor stays
    expect(isDirty(m)).toBe(false);
    expect(m.incoming).toBeNull();
  });

  it('its own Save is not a change, and a read of the same version changes nothing', () => {
    const m = run(loaded('a\n'), { type: 'edited', text: 'ab\n' }, { type: 'saved', content: 'ab\n', mtime: '2' });
    expect(isDirty(m)).toBe(false);
    expect(run(m, { type: 'disk', version: { content: 'ab\n', mtime: '2' }, source: 'window' })).toBe(m);
  });

  it('a dirty editor is offered the change instead', () => {
    const m = run(
      loaded('a\n'),
      { type: 'edited', text: 'mine\n' },
      { type: 'disk', version: { content: 'theirs\n', mtime: '2' }, source: 'external' },
    );
    expect(m.draft).toBe('mine\n');
    expect(m.incoming).toEqual({ content: 'theirs\n', mtime: '2', source: 'external' });
    expect(m.base.mtime).toBe('1');
    expect(m.push).toBeNull();
  });

  it('nothing to choose when the disk has my text, or the same text under a new version', () => {
    const dirty = run(loaded('a\n'), { type: 'edited', text: 'b\n' });
    const same = run(dirty, { type: 'disk', version: { content: 'b\n', mtime: '2' }, source: 'external' });
    expect(same.incoming).toBeNull();
    expect(isDirty(same)).toBe(false);
    const touched = run(dirty, { type: 'disk', version: { content: 'a\n', mtime: '3' }, source: 'external' });
    expect(touched.incoming).toBeNull();
    expect(touched.base.mtime).toBe('3');
    expect(isDirty(touched)).toBe(true);
  });

  describe('the three choices', () => {
    const base = { content: 'one\ntwo\nthree\n', mtime: '1' };
    const draft = 'one, mine\ntwo\nthree\n';
    const theirs = { content: 'one\ntwo\nthree, theirs\n', mtime: '2' };

    it('take theirs: their text, nothing unsaved', () => {
      expect(resolveIncoming('theirs', base, draft, theirs)).toEqual({ base: theirs, draft: theirs.content, conflicts: 0 });
    });

    it('keep mine: my text, and the next Save expects their version', () => {
      expect(resolveIncoming('mine', base, draft, theirs)).toEqual({ base: theirs, draft, conflicts: 0 });
    });

    it('merge: both changes, unsaved, over their version', () => {
      expect(resolveIncoming('merge', base, draft, theirs)).toEqual({
        base: theirs,
        draft: 'one, mine\ntwo\nthree, theirs\n',
        conflicts: 0,
      });
    });

    it('each choice through the model', () => {
      const offered = run(
        loaded(base.content),
        { type: 'edited', text: draft },
        { type: 'disk', version: theirs, source: 'agent' },
      );
      const t = run(offered, { type: 'choose', choice: 'theirs' });
      expect([t.draft, t.incoming, isDirty(t), t.push?.text]).toEqual([theirs.content, null, false, theirs.content]);
      const k = run(offered, { type: 'choose', choice: 'mine' });
      expect([k.draft, k.base.mtime, isDirty(k), k.push]).toEqual([draft, '2', true, null]);
      const g = run(offered, { type: 'choose', choice: 'merge' });
      expect([g.draft, g.base.mtime, isDirty(g)]).toEqual(['one, mine\ntwo\nthree, theirs\n', '2', true]);
      expect(g.push?.text).toBe(g.draft);
    });

    it('a merge that conflicts says how many blocks it marked', () => {
      const offered = run(
        loaded('x\n'),
        { type: 'edited', text: 'mine\n' },
        { type: 'disk', version: { content: 'theirs\n', mtime: '2' }, source: 'agent' },
      );
      const g = run(offered, { type: 'choose', choice: 'merge' });
      expect(g.conflicts).toBe(1);
      expect(g.draft).toContain(MARK_MINE);
    });
  });

  it('a removed file keeps the text, unsaved, until a Save writes it again', () => {
    const m = run(loaded('a\n'), { type: 'removed' });
    expect(m.draft).toBe('a\n');
    expect(isDirty(m)).toBe(true);
    const saved = run(m, { type: 'saved', content: 'a\n', mtime: '9' });
    expect(saved.gone).toBeNull();
    expect(isDirty(saved)).toBe(false);
  });

  it('a moved file keeps the text and says where it went', () => {
    const m = run(loaded('a\n'), { type: 'edited', text: 'b\n' }, { type: 'moved', path: '/d/renamed.md' });
    expect(m.gone).toEqual({ kind: 'moved', path: '/d/renamed.md' });
    expect(m.draft).toBe('b\n');
  });
});

describe('the selection as the host reads it', () => {
  const at = (text: string, part: string) => {
    const from = text.indexOf(part);
    return { from, to: from + part.length };
  };

  it('is the same offsets when the editor holds what is on disk, and nothing when empty', () => {
    expect(selectionOnDisk({ from: 9, to: 2 }, 'abcdefghijk', 'abcdefghijk')).toEqual({ from: 2, to: 9 });
    expect(selectionOnDisk({ from: 4, to: 4 }, 'abc\ndef', 'abc\nxyz')).toBeNull();
  });

  it('maps through unsaved edits before it, inside it and after it', () => {
    const disk = '# Plan\n\nFirst section.\n\nSecond section.\n';
    const draft = '# Plan\n\nAn inserted line.\nFirst section.\n\nSecond section.\nMore.\n';
    const sel = selectionOnDisk(at(draft, 'Second section'), draft, disk)!;
    expect(disk.slice(sel.from, sel.to)).toBe('Second section');

    // The selected passage itself was edited: the disk's text in its place.
    const edited = draft.replace('First section.', 'First part, edited.');
    const inside = selectionOnDisk(at(edited, 'First part, edited.'), edited, disk)!;
    expect(disk.slice(inside.from, inside.to)).toContain('First');
    expect(disk.slice(inside.from, inside.to)).toContain('section.');
  });

  it('is nothing when the selected text is not on disk at all', () => {
    const disk = 'alpha\nomega\n';
    const draft = 'alpha\nnew words\nomega\n';
    expect(selectionOnDisk(at(draft, 'new words'), draft, disk)).toBeNull();
  });
});
