// @vitest-environment jsdom
//
// Tool cards per tool, the approval card, "Always allow" as a policy, and
// tool input/output kept inert (it comes from files, commands and web
// pages a prompt-injected model chose).

import type { DynamicToolUIPart } from 'ai';
import { act, createElement } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { alwaysAllowLabel, withAlwaysAllow } from '../src/chat/policy';
import { commandPattern, editLines, OUTPUT_LIMIT } from '../src/chat/tools';
import { ToolCard } from '../src/components/ToolCard';
import type { ToolPolicy } from '../src/desktop/types';
import { mountPerTest } from './dom';

declare global {
  interface Window {
    __pwned?: number;
  }
}
const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=1</script>';
const IFRAME = '<iframe src="javascript:window.__pwned=1"></iframe>';
const EVIL = `${IMG} ${SCRIPT} ${IFRAME}`;

const dom = mountPerTest();
afterEach(() => {
  delete window.__pwned;
});

type Part = DynamicToolUIPart;

function part(toolName: string, input: unknown, extra: Partial<Part> & { state: Part['state'] }): Part {
  return { type: 'dynamic-tool', toolName, toolCallId: 'c1', input, ...extra } as Part;
}

function render(p: Part, props: Partial<Parameters<typeof ToolCard>[0]> = {}) {
  const onAnswer = vi.fn();
  const onAlwaysAllow = vi.fn();
  act(() => dom.root.render(createElement(ToolCard, { part: p, onAnswer, onAlwaysAllow, ...props })));
  const card = dom.container.querySelector('details.tool-card') as HTMLDetailsElement;
  return { card, onAnswer, onAlwaysAllow };
}

const text = (sel: string) => dom.container.querySelector(sel)?.textContent ?? null;

function assertInert() {
  expect(window.__pwned).toBeUndefined();
  expect(dom.container.querySelectorAll('script, img, iframe, a').length).toBe(0);
}

describe('tool cards', () => {
  it('read_file: collapsed, the path and a line count', () => {
    const { card } = render(
      part('read_file', { path: 'src/main.rs' }, { state: 'output-available', output: { path: 'src/main.rs', content: EVIL, total_lines: 42, truncated: false } }),
    );
    expect(card.open).toBe(false);
    expect(text('.tool-subject')).toBe('src/main.rs');
    expect(text('.tool-meta')).toBe('42 lines');
    expect(card.getAttribute('data-tool')).toBe('read_file');
    assertInert();
  });

  it('list_files and grep_files: collapsed with their counts', () => {
    const r = render(part('list_files', { path: 'src' }, { state: 'output-available', output: { entries: [{ path: 'a' }, { path: 'b' }, { path: 'c' }], truncated: false } }));
    expect(r.card.open).toBe(false);
    expect(text('.tool-subject')).toBe('src');
    expect(text('.tool-meta')).toBe('3 entries');
    render(part('grep_files', { pattern: 'TODO', glob: '*.rs' }, { state: 'output-available', output: JSON.stringify({ matches: [{ path: 'a', line: 1, text: EVIL }], truncated: true }) }));
    expect(text('.tool-subject')).toBe('TODO in . (*.rs)');
    expect(text('.tool-meta')).toBe('1 match');
    expect(dom.container.textContent).toContain('truncated');
    assertInert();
  });

  it('read_document: collapsed with a count', () => {
    render(part('read_document', {}, { state: 'output-available', output: { content: 'a\nb\n' } }));
    expect(text('.tool-subject')).toBe('this document');
    expect(text('.tool-meta')).toBe('3 lines');
  });

  it('write_file: open, with its content as added lines', () => {
    const { card } = render(part('write_file', { path: 'out.txt', content: `hi\n${EVIL}` }, { state: 'output-available', output: { path: 'out.txt', bytes: 3 } }));
    expect(card.open).toBe(true);
    expect(text('.tool-subject')).toBe('out.txt');
    const rows = [...dom.container.querySelectorAll('.edit-diff .diff-add')].map((r) => r.textContent);
    expect(rows).toEqual(['+added: hi', `+added: ${EVIL}`]);
    assertInert();
  });

  it('edit_file: the old and new text as a small diff', () => {
    render(part('edit_file', { path: 'a.rs', old_string: 'keep\nold line', new_string: 'keep\nnew line' }, { state: 'output-available', output: { path: 'a.rs', replacements: 1 } }));
    expect([...dom.container.querySelectorAll('.edit-diff .diff-del')].map((r) => r.textContent)).toEqual(['−removed: old line']);
    expect([...dom.container.querySelectorAll('.edit-diff .diff-add')].map((r) => r.textContent)).toEqual(['+added: new line']);
    expect(text('.tool-meta')).toBe('1 replacement');
  });

  it('edit_document: each edit as a diff', () => {
    render(part('edit_document', { edits: [{ old: 'A', new: 'B' }, { old: 'C', new: `D ${SCRIPT}` }] }, { state: 'input-available' }));
    expect(dom.container.querySelectorAll('.edit-diff').length).toBe(2);
    expect(text('.tool-meta')).toBe('2 edits');
    assertInert();
  });

  it('run_command: the command, the exit code and collapsible stdout/stderr', () => {
    const { card } = render(
      part('run_command', { command: 'cargo test' }, { state: 'output-available', output: { exit_code: 101, stdout: `ok ${EVIL}`, stderr: `failed ${SCRIPT}`, truncated: false, timed_out: false } }),
    );
    expect(card.open).toBe(true);
    expect(text('.tool-cmdline')).toBe('$ cargo test');
    expect(text('.exit-code')).toBe('exit 101');
    expect(dom.container.querySelector('.exit-code')!.classList.contains('exit-fail')).toBe(true);
    expect(text('.tool-stdout .tool-output')).toBe(`ok ${EVIL}`);
    expect((dom.container.querySelector('.tool-stderr') as HTMLDetailsElement).open).toBe(true);
    assertInert();
  });

  it('run_command killed: no exit code, "timed out"', () => {
    render(part('run_command', { command: 'sleep 999' }, { state: 'output-available', output: { exit_code: null, stdout: '', stderr: '', truncated: false, timed_out: true } }));
    expect(dom.container.textContent).toContain('timed out');
  });

  it('web_fetch: the URL, status, and the body as text (never a link, never loaded)', () => {
    render(part('web_fetch', { url: 'https://example.com/x' }, { state: 'output-available', output: { url: 'https://example.com/x', status: 200, content_type: 'text/html', body: `<html>${EVIL}<a href="javascript:x">y</a></html>`, truncated: false } }));
    expect(text('.tool-subject')).toBe('https://example.com/x');
    expect(dom.container.textContent).toContain('HTTP 200');
    expect(text('.tool-raw .tool-output')).toContain(SCRIPT);
    assertInert();
  });

  it('long output is cut with "Show all"', () => {
    const big = 'x'.repeat(OUTPUT_LIMIT * 3);
    render(part('run_command', { command: 'yes' }, { state: 'output-available', output: { exit_code: 0, stdout: big, stderr: '' } }));
    expect(text('.tool-stdout .tool-output')!.length).toBe(OUTPUT_LIMIT);
    const btn = [...dom.container.querySelectorAll('button')].find((b) => b.textContent?.startsWith('Show all'))!;
    act(() => btn.click());
    expect(text('.tool-stdout .tool-output')!.length).toBe(big.length);
  });

  it('an error and a denial say so', () => {
    render(part('read_file', { path: '../etc/passwd' }, { state: 'output-error', errorText: `outside the workspace ${IMG}` }));
    expect(text('.error-line')).toContain('outside the workspace');
    expect(text('[data-state]')).toBe('failed');
    assertInert();
    render(part('write_file', { path: 'x' , content: '' }, { state: 'output-denied' } as never));
    expect(dom.container.textContent).toContain('Denied.');
  });

  it('an unknown tool shows its input and output as text', () => {
    render(part('mystery', { a: EVIL }, { state: 'output-available', output: EVIL }));
    expect(dom.container.textContent).toContain(SCRIPT);
    assertInert();
  });
});

describe('approval cards', () => {
  const asking = (tool: string, input: unknown) =>
    part(tool, input, { state: 'approval-requested', approval: { id: 'ap1' } } as never);

  it('show the diff and answer Approve / Deny / Always allow', () => {
    const { onAnswer, onAlwaysAllow } = render(asking('write_file', { path: 'out.txt', content: 'hi' }));
    expect(dom.container.querySelector('.edit-diff .diff-add')?.textContent).toBe('+added: hi');
    expect(text('.approval-question')).toBe('Write this file?');
    const buttons = [...dom.container.querySelectorAll('.approval-card button')] as HTMLButtonElement[];
    expect(buttons.map((b) => b.textContent)).toEqual(['Approve', 'Deny', 'Always allow write_file in this workspace']);
    act(() => buttons[0]!.click());
    expect(onAnswer).toHaveBeenLastCalledWith('ap1', true);
    act(() => buttons[1]!.click());
    expect(onAnswer).toHaveBeenLastCalledWith('ap1', false);
    act(() => buttons[2]!.click());
    expect(onAlwaysAllow).toHaveBeenCalledWith('ap1', 'write_file', { path: 'out.txt', content: 'hi' });
  });

  it('show the command; no Always allow for a line no rule can allow, nor without a workspace', () => {
    render(asking('run_command', { command: 'curl x | sh' }));
    expect(text('.tool-cmdline')).toBe('$ curl x | sh');
    expect([...dom.container.querySelectorAll('.approval-card button')].map((b) => b.textContent)).toEqual(['Approve', 'Deny']);
    render(asking('run_command', { command: 'git status' }));
    expect(dom.container.textContent).toContain('Always allow “git *” in this workspace');
    render(asking('write_file', { path: 'a', content: '' }), { onAlwaysAllow: undefined });
    expect([...dom.container.querySelectorAll('.approval-card button')].map((b) => b.textContent)).toEqual(['Approve', 'Deny']);
  });

  it('answering by keyboard keeps the focus on the card (its buttons go away, the focus does not fall to <body>)', () => {
    for (const which of ['Approve', 'Deny', 'Always allow write_file in this workspace']) {
      const { onAnswer, onAlwaysAllow } = render(asking('write_file', { path: 'a', content: '' }));
      const button = dom.button(which);
      button.focus();
      act(() => button.click());
      const props = { onAnswer, onAlwaysAllow, answered: which !== 'Deny' };
      act(() => dom.root.render(createElement(ToolCard, { part: asking('write_file', { path: 'a', content: '' }), ...props })));
      expect(dom.container.querySelectorAll('.approval-card button').length).toBe(0);
      expect(document.activeElement).toBe(dom.container.querySelector('details.tool-card > summary'));
    }
  });

  it('once answered, say so and wait', () => {
    render(asking('write_file', { path: 'a', content: '' }), { answered: true });
    expect(dom.container.querySelectorAll('.approval-card button').length).toBe(0);
    expect(dom.container.textContent).toContain('Approved; waiting for the host…');
  });
});

describe('always allow as a policy', () => {
  const base: ToolPolicy = {
    tools: { read_file: 'allow', write_file: 'ask', run_command: 'ask' },
    commands: [
      { pattern: 'rm *', permission: 'deny' },
      { pattern: 'git push *', permission: 'ask' },
    ],
    read_only_paths: ['~/.cargo'],
  };

  it('sets a tool to allow, keeping the rest', () => {
    const p = withAlwaysAllow(base, 'write_file', { path: 'x' });
    expect(p.tools.write_file).toBe('allow');
    expect(p.commands).toEqual(base.commands);
    expect(p.read_only_paths).toEqual(['~/.cargo']);
  });

  it('adds a command rule after the deny rules, once', () => {
    const p = withAlwaysAllow(base, 'run_command', { command: 'cargo test --all' });
    expect(p.tools.run_command).toBe('ask');
    expect(p.commands).toEqual([base.commands![0], { pattern: 'cargo *', permission: 'allow' }, base.commands![1]]);
    expect(withAlwaysAllow(p, 'run_command', { command: 'cargo build' })).toEqual(p);
  });

  it('never adds a rule for a line that is not one simple command', () => {
    for (const command of ['a | b', 'a && b', 'echo $(id)', 'x > y', '/tmp/evil', 'echo "q"', '*', '']) {
      expect(commandPattern(command)).toBeNull();
      expect(withAlwaysAllow(base, 'run_command', { command })).toBe(base);
      expect(alwaysAllowLabel('run_command', { command })).toBeNull();
    }
    expect(commandPattern('FOO=1 make all')).toBe('make *');
  });

  it('edit lines leave out what did not change', () => {
    expect(editLines({ old: 'a\nb\nc', new: 'a\nB\nc' }).lines).toEqual([
      { kind: 'del', text: 'b' },
      { kind: 'add', text: 'B' },
    ]);
  });
});
