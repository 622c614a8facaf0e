import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  HostError,
  ProviderDownError,
  hostErrorFromResponse,
  isHostError,
  parseHostErrorBody,
} from '../src/desktop/errors';
import { errorResponse } from './fixtures/turn';

describe('HostError parsing', () => {
  it('reads code, message and status', async () => {
    const e = await hostErrorFromResponse(errorResponse(404, 'unknown_session', 'no such session'));
    expect(e).toBeInstanceOf(HostError);
    expect(e.code).toBe('unknown_session');
    expect(e.message).toBe('no such session');
    expect(e.status).toBe(404);
    expect(isHostError(e, 'unknown_session')).toBe(true);
    expect(isHostError(e, 'conflict')).toBe(false);
  });

  it('types conflict and provider_down', async () => {
    const c = await hostErrorFromResponse(errorResponse(409, 'conflict', 'the file changed on disk'));
    expect(c).toBeInstanceOf(ConflictError);
    expect(c.code).toBe('conflict');
    const p = await hostErrorFromResponse(errorResponse(409, 'provider_down', 'no provider is configured'));
    expect(p).toBeInstanceOf(ProviderDownError);
    expect(p).toBeInstanceOf(HostError);
    expect(isHostError(p, 'provider_down')).toBe(true);
  });

  it('never echoes a body that is not the error shape', () => {
    for (const body of ['', 'not json', '{"error":"x"}', '{"error":{"message":"m"}}', '[]', 'null', '<html>secret</html>']) {
      const e = parseHostErrorBody(body, 502);
      expect(e.code).toBe('bad_response');
      expect(e.status).toBe(502);
      expect(e.message).not.toContain('secret');
    }
  });

  it('uses the code when the message is missing', () => {
    const e = parseHostErrorBody('{"error":{"code":"timeout"}}', 503);
    expect(e.code).toBe('timeout');
    expect(e.message).toBe('timeout');
  });
});
