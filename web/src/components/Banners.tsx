import type { HostStateEvent } from '../desktop/types';

export function HostStateBanner({ host }: { host: HostStateEvent }) {
  if (host.state === 'ready') return null;
  if (host.state === 'restarting') {
    return (
      <div className="banner warn" role="status">
        The host is restarting. Requests fail until it is back; a running answer continues from the saved
        stream afterwards.{host.message ? ` (${host.message})` : ''}
      </div>
    );
  }
  return (
    <div className="banner error" role="alert">
      The host stopped and could not be restarted. Restart the app.{host.message ? ` (${host.message})` : ''}
    </div>
  );
}

export function ProviderDownBanner({ message, onSettings }: { message: string; onSettings?: () => void }) {
  return (
    <div className="banner error" role="alert">
      <strong>Provider unavailable.</strong> No AI provider is configured or reachable, so the message was not
      sent. {message}{' '}
      {onSettings && (
        <button type="button" onClick={onSettings}>
          Open provider settings
        </button>
      )}
    </div>
  );
}

export function ErrorLine({ error }: { error: unknown }) {
  if (!error) return null;
  return <div className="error-line">{error instanceof Error ? error.message : String(error)}</div>;
}
