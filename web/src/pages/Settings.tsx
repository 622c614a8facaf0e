import { useState } from 'react';
import { APPEARANCES, setAppearance, useAppearance, type Appearance } from '../components/appearance';
import { ErrorLine } from '../components/Banners';
import type { ConnectionTest } from '../desktop/api';
import type { Permission, ToolPolicy, Workspace } from '../desktop/types';
import { useDesktop, useQuery } from '../desktop-context';
import { errorText } from '../hooks';
import { ProviderSettings } from './ProviderSettings';

/** Settings: appearance, provider keys, the custom endpoint, and the
 * tool policy of a workspace. */
export function Settings({ workspace }: { workspace: Workspace | null }) {
  return (
    <div className="settings">
      <h1>Settings</h1>
      <AppearanceSettings />
      <section className="settings-section" aria-labelledby="settings-providers">
        <h2 id="settings-providers">Provider keys</h2>
        <ProviderSettings />
      </section>
      <CustomEndpoint />
      <PolicyEditor initial={workspace} />
    </div>
  );
}

const APPEARANCE_LABELS: Record<Appearance, string> = { system: 'System', light: 'Light', dark: 'Dark' };

function AppearanceSettings() {
  const current = useAppearance();
  return (
    <section className="settings-section" aria-labelledby="settings-appearance">
      <h2 id="settings-appearance">Appearance</h2>
      <div className="segmented" role="radiogroup" aria-labelledby="settings-appearance">
        {APPEARANCES.map((a) => (
          <label key={a}>
            <input type="radio" name="appearance" value={a} checked={current === a} onChange={() => setAppearance(a)} />
            {APPEARANCE_LABELS[a]}
          </label>
        ))}
      </div>
      <p className="muted">System follows your desktop’s light or dark setting.</p>
    </section>
  );
}

/** The custom OpenAI-compatible endpoint: base URL, model, optional key,
 * and a connection test that reports the stable error code. */
export function CustomEndpoint() {
  const { api, queries } = useDesktop();
  const providers = useQuery(['providers'], (api) => api.providers.list());
  const custom = providers.data?.find((p) => p.provider === 'custom');
  const [baseUrl, setBaseUrl] = useState<string | null>(null);
  const [model, setModel] = useState<string | null>(null);
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState<'save' | 'test' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<ConnectionTest | null>(null);
  const urlValue = baseUrl ?? custom?.base_url ?? '';
  const modelValue = model ?? custom?.default_model ?? '';

  async function save() {
    const k = key.trim();
    setKey('');
    await api.providers.update('custom', {
      ...(urlValue.trim() ? { base_url: urlValue.trim() } : {}),
      ...(modelValue.trim() ? { default_model: modelValue.trim() } : {}),
    });
    if (k) await api.secrets.set('custom', k);
    queries.invalidate(['providers']);
    queries.invalidate(['secrets']);
  }

  async function run(what: 'save' | 'test') {
    setBusy(what);
    setError(null);
    setResult(null);
    try {
      await save();
      if (what === 'test') setResult(await api.providers.test('custom'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="settings-section" aria-labelledby="settings-custom">
      <h2 id="settings-custom">Custom endpoint</h2>
      <p className="muted">Any OpenAI-compatible server: Ollama, llama.cpp, LM Studio, vLLM or a hosted one.</p>
      <form
        className="field-grid"
        onSubmit={(e) => {
          e.preventDefault();
          void run('save');
        }}
      >
        <label htmlFor="custom-url">Base URL</label>
        <input
          id="custom-url"
          type="url"
          spellCheck={false}
          placeholder="http://127.0.0.1:11434/v1"
          value={urlValue}
          onChange={(e) => setBaseUrl(e.target.value)}
        />
        <label htmlFor="custom-model">Model</label>
        <input id="custom-model" spellCheck={false} placeholder="e.g. llama3.2" value={modelValue} onChange={(e) => setModel(e.target.value)} />
        <label htmlFor="custom-key">Key (optional)</label>
        <input
          id="custom-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="Leave empty for none"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <span />
        <div className="save-row">
          <button type="submit" disabled={busy !== null}>
            Save
          </button>
          <button type="button" className="primary" disabled={busy !== null || !urlValue.trim()} onClick={() => void run('test')}>
            {busy === 'test' ? 'Testing…' : 'Test connection'}
          </button>
        </div>
      </form>
      <div className="test-result" role="status" aria-live="polite">
        {result?.ok === true && <span className="badge ok">Connected in {result.latency_ms} ms</span>}
        {result?.ok === false && (
          <span>
            <span className="badge bad">Failed: {result.code}</span> {result.message}
          </span>
        )}
      </div>
      <ErrorLine error={error} />
    </section>
  );
}

const TOOLS = ['read_file', 'list_files', 'grep_files', 'write_file', 'edit_file', 'run_command', 'web_fetch'];
const PERMISSIONS: Permission[] = ['allow', 'ask', 'deny'];

/** One workspace's tool policy: allow / ask / deny per tool, the ordered
 * command patterns of `run_command` (first match wins) and the extra
 * read-only paths of its sandbox. */
export function PolicyEditor({ initial }: { initial: Workspace | null }) {
  const workspaces = useQuery(['workspaces'], (api) => api.workspaces.list());
  const [chosen, setChosen] = useState<string | null>(initial?.id ?? null);
  const id = chosen ?? workspaces.data?.[0]?.id ?? null;
  return (
    <section className="settings-section" aria-labelledby="settings-policy">
      <h2 id="settings-policy">Tool policy</h2>
      {workspaces.data?.length === 0 ? (
        <p className="muted">Open a folder as a workspace to set what the agent may do in it.</p>
      ) : (
        <div className="inline-form">
          <label htmlFor="policy-workspace">Workspace</label>
          <select id="policy-workspace" value={id ?? ''} onChange={(e) => setChosen(e.target.value)}>
            {workspaces.data?.map((w) => (
              <option key={w.id} value={w.id}>
                {w.name} — {w.path}
              </option>
            ))}
          </select>
        </div>
      )}
      <ErrorLine error={workspaces.error} />
      {id && <PolicyForm key={id} workspaceId={id} />}
    </section>
  );
}

function PolicyForm({ workspaceId }: { workspaceId: string }) {
  const { api } = useDesktop();
  const loaded = useQuery(['policy', workspaceId], (api) => api.workspaces.policy(workspaceId));
  // The form starts afresh from the stored policy when it changes (an
  // "Always allow" in a chat), but not on the reload after its own save:
  // remounted then, it lost its "Saved." and the focus on its button.
  const [own, setOwn] = useState<{ key: number; version: number } | null>(null);
  const key = own !== null && own.version === loaded.version ? own.key : loaded.version;
  if (loaded.error && !loaded.data) return <ErrorLine error={loaded.error} />;
  if (!loaded.data) return <p className="muted">Loading…</p>;
  return (
    <PolicyFields
      key={key}
      initial={loaded.data}
      onSave={async (p) => {
        await api.workspaces.setPolicy(workspaceId, p);
        setOwn({ key, version: loaded.version + 1 });
        loaded.reload();
      }}
    />
  );
}

interface Rule {
  key: number;
  pattern: string;
  permission: Permission;
}

export function PolicyFields({ initial, onSave }: { initial: ToolPolicy; onSave: (p: ToolPolicy) => Promise<void> }) {
  const [tools, setTools] = useState<Record<string, Permission>>(() => ({ ...initial.tools }));
  const [rules, setRules] = useState<Rule[]>(() => (initial.commands ?? []).map((c, i) => ({ key: i, ...c })));
  const [nextKey, setNextKey] = useState((initial.commands ?? []).length);
  const [paths, setPaths] = useState((initial.read_only_paths ?? []).join('\n'));
  const [state, setState] = useState<'idle' | 'saving' | 'saved'>('idle');
  const [error, setError] = useState<unknown>(null);
  const names = [...TOOLS, ...Object.keys(initial.tools).filter((t) => !TOOLS.includes(t))];

  const move = (i: number, by: number) =>
    setRules((rs) => {
      const j = i + by;
      if (j < 0 || j >= rs.length) return rs;
      const copy = [...rs];
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      return copy;
    });
  const edit = (i: number, patch: Partial<Rule>) => setRules((rs) => rs.map((r, k) => (k === i ? { ...r, ...patch } : r)));

  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setState('saving');
        setError(null);
        const policy: ToolPolicy = {
          tools,
          commands: rules.filter((r) => r.pattern.trim()).map((r) => ({ pattern: r.pattern.trim(), permission: r.permission })),
          read_only_paths: paths.split('\n').map((p) => p.trim()).filter(Boolean),
        };
        onSave(policy).then(
          () => setState('saved'),
          (err: unknown) => {
            setState('idle');
            setError(err);
          },
        );
      }}
      onChange={() => setState('idle')}
    >
      <table className="policy-table">
        <thead>
          <tr>
            <th scope="col">Tool</th>
            <th scope="col">Permission</th>
          </tr>
        </thead>
        <tbody>
          {names.map((t) => (
            <tr key={t}>
              <th scope="row" className="code">
                {t}
              </th>
              <td>
                <div className="segmented" role="radiogroup" aria-label={`${t} permission`}>
                  {PERMISSIONS.map((p) => (
                    <label key={p}>
                      <input
                        type="radio"
                        name={`tool-${t}`}
                        value={p}
                        checked={(tools[t] ?? 'ask') === p}
                        onChange={() => setTools((ts) => ({ ...ts, [t]: p }))}
                      />
                      {p}
                    </label>
                  ))}
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Command patterns</h3>
      <p className="muted">
        Checked in order for <code>run_command</code>; the first match wins over the tool’s permission.
      </p>
      <ol className="command-rules">
        {rules.map((r, i) => (
          <li key={r.key}>
            <input
              aria-label={`Pattern ${i + 1}`}
              placeholder="e.g. cargo test*"
              value={r.pattern}
              onChange={(e) => edit(i, { pattern: e.target.value })}
            />
            <select aria-label={`Permission of pattern ${i + 1}`} value={r.permission} onChange={(e) => edit(i, { permission: e.target.value as Permission })}>
              {PERMISSIONS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
            <button type="button" aria-label={`Move pattern ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>
              ↑
            </button>
            <button type="button" aria-label={`Move pattern ${i + 1} down`} disabled={i === rules.length - 1} onClick={() => move(i, 1)}>
              ↓
            </button>
            <button type="button" className="danger" aria-label={`Remove pattern ${i + 1}`} onClick={() => setRules((rs) => rs.filter((_, k) => k !== i))}>
              Remove
            </button>
          </li>
        ))}
      </ol>
      <button
        type="button"
        onClick={() => {
          setRules((rs) => [...rs, { key: nextKey, pattern: '', permission: 'ask' }]);
          setNextKey(nextKey + 1);
        }}
      >
        Add pattern
      </button>
      <h3>
        <label htmlFor="policy-paths">Read-only paths for commands</label>
      </h3>
      <textarea id="policy-paths" rows={3} placeholder="~/.cargo" value={paths} onChange={(e) => setPaths(e.target.value)} />
      <div className="save-row">
        <button type="submit" className="primary" disabled={state === 'saving'}>
          Save policy
        </button>
        <span role="status">{state === 'saved' ? 'Saved.' : ''}</span>
        {error !== null && <span className="error-line">{errorText(error)}</span>}
      </div>
    </form>
  );
}
