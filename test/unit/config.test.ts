import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { TEST_PAYLOAD_ENCRYPTION_KEYS } from '../support/fixtures';

/**
 * What the service refuses to start with. Production must not run with secrets anyone can read in this repository,
 * with a gateway that is not Midtrans, or against the sandbox by accident; and the error names the variable without
 * ever printing its value (it may be a real secret that was merely put in the wrong place).
 */

const secret = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** A production environment that is safe in every respect; each test below spoils one setting. */
function productionEnv(): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgresql://tiketq@db.internal:5432/tiketq',
    API_KEYS: `${secret()},${secret()}`,
    MIDTRANS_SERVER_KEY: `Mid-server-${secret(18)}`,
    MIDTRANS_IS_PRODUCTION: 'true',
    DOWNSTREAM_SIGNING_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  };
}

/** The configuration error for `env`, or undefined when it loads. */
function refusal(env: NodeJS.ProcessEnv): string | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Refused, naming `variable`, and not echoing any of `values`. */
function expectRefused(env: NodeJS.ProcessEnv, variable: string, reason?: RegExp): string {
  const message = refusal(env);
  expect(message, `${variable} should be refused`).toBeDefined();
  expect(message).toContain(`${variable}:`);
  if (reason) expect(message).toMatch(reason);
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 8 && /KEY|SECRET|URL/.test(name) && name !== 'DATABASE_URL') expect(message).not.toContain(value);
  }
  return message!;
}

describe('production configuration', () => {
  it('a safe production configuration loads', () => {
    const env = productionEnv();
    expect(refusal(env)).toBeUndefined();
    expect(
      refusal({ ...env, MIDTRANS_API_BASE_URL: 'https://api.midtrans.com', MIDTRANS_SNAP_BASE_URL: 'https://app.midtrans.com/snap/v1' }),
    ).toBeUndefined();
    const config = loadConfig(env);
    expect(config.API_KEYS).toHaveLength(2);
    expect(config.MIDTRANS_IS_PRODUCTION).toBe(true);
  });

  it.each([
    ['the docker-compose and .env.example default', 'local-dev-api-key'],
    ['the integration tests key', 'integration-test-key'],
    ['the chaos suite key', 'chaos-suite-api-key'],
  ])('refuses an API key that is public: %s', (_name, key) => {
    expectRefused({ ...productionEnv(), API_KEYS: key }, 'API_KEYS', /publicly known/);
    // Also beside a good key: every key opens the API.
    expectRefused({ ...productionEnv(), API_KEYS: `${secret()},${key}` }, 'API_KEYS', /key 2 of 2/);
  });

  it('refuses an API key shorter than 32 characters', () => {
    const short = secret(24).slice(0, 31);
    expect(short).toHaveLength(31);
    expectRefused({ ...productionEnv(), API_KEYS: short }, 'API_KEYS', /32 characters/);
    expectRefused({ ...productionEnv(), API_KEYS: `${secret()}, ${short}` }, 'API_KEYS', /key 2 of 2.*32 characters/);
    expect(refusal({ ...productionEnv(), API_KEYS: secret(24) })).toBeUndefined(); // exactly 32
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['only commas and spaces', ' , ,'],
  ])('refuses API_KEYS %s', (_name, keys) => {
    expectRefused({ ...productionEnv(), API_KEYS: keys }, 'API_KEYS');
  });

  it.each([
    ['plain http to Midtrans', 'MIDTRANS_API_BASE_URL', 'http://api.midtrans.com'],
    ['the simulator', 'MIDTRANS_API_BASE_URL', 'http://127.0.0.1:8900'],
    ['another host over https', 'MIDTRANS_API_BASE_URL', 'https://gateway.example.com'],
    ['a look-alike host', 'MIDTRANS_API_BASE_URL', 'https://api.midtrans.com.example.com'],
    ['user info hiding another host', 'MIDTRANS_API_BASE_URL', 'https://api.midtrans.com@gateway.example.com'],
    ['another port', 'MIDTRANS_API_BASE_URL', 'https://api.midtrans.com:8443'],
    ['the Snap host for the Core API', 'MIDTRANS_API_BASE_URL', 'https://app.midtrans.com'],
    ['the sandbox', 'MIDTRANS_API_BASE_URL', 'https://api.sandbox.midtrans.com'],
    ['plain http Snap', 'MIDTRANS_SNAP_BASE_URL', 'http://app.midtrans.com/snap/v1'],
    ['the simulator Snap', 'MIDTRANS_SNAP_BASE_URL', 'http://midtrans-simulator:8900/snap/v1'],
    ['another Snap host', 'MIDTRANS_SNAP_BASE_URL', 'https://snap.example.com/snap/v1'],
  ])('refuses a gateway URL that is not Midtrans production over https: %s', (_name, variable, url) => {
    const env = { ...productionEnv(), [variable]: url };
    expectRefused(env, variable, /ALLOW_NON_MIDTRANS_GATEWAY/);
    expect(refusal({ ...env, ALLOW_NON_MIDTRANS_GATEWAY: 'true' })).toBeUndefined();
  });

  it('refuses the Midtrans sandbox (MIDTRANS_IS_PRODUCTION=false) unless ALLOW_MIDTRANS_SANDBOX=true', () => {
    for (const value of ['false', '', undefined]) {
      const env = { ...productionEnv(), MIDTRANS_IS_PRODUCTION: value };
      expectRefused(env, 'MIDTRANS_IS_PRODUCTION', /ALLOW_MIDTRANS_SANDBOX/);
      expect(refusal({ ...env, ALLOW_MIDTRANS_SANDBOX: 'true' })).toBeUndefined();
    }
  });

  it('refuses a sandbox server key (SB-…) unless ALLOW_MIDTRANS_SANDBOX=true', () => {
    const env = { ...productionEnv(), MIDTRANS_SERVER_KEY: `SB-Mid-server-${secret(18)}` };
    expectRefused(env, 'MIDTRANS_SERVER_KEY', /ALLOW_MIDTRANS_SANDBOX/);
    expect(refusal({ ...env, ALLOW_MIDTRANS_SANDBOX: 'true' })).toBeUndefined();
  });

  it('accepts the sandbox hosts only together with ALLOW_MIDTRANS_SANDBOX=true', () => {
    const env = {
      ...productionEnv(),
      MIDTRANS_IS_PRODUCTION: 'false',
      MIDTRANS_SERVER_KEY: `SB-Mid-server-${secret(18)}`,
      MIDTRANS_API_BASE_URL: 'https://api.sandbox.midtrans.com',
      MIDTRANS_SNAP_BASE_URL: 'https://app.sandbox.midtrans.com/snap/v1',
      ALLOW_MIDTRANS_SANDBOX: 'true',
    };
    expect(refusal(env)).toBeUndefined();
  });

  it('refuses the public simulator server key even with the sandbox allowed', () => {
    const env = { ...productionEnv(), ALLOW_MIDTRANS_SANDBOX: 'true', MIDTRANS_SERVER_KEY: 'SB-Mid-server-local-simulator' };
    expectRefused(env, 'MIDTRANS_SERVER_KEY', /publicly known/);
    expectRefused({ ...env, MIDTRANS_SERVER_KEY: undefined }, 'MIDTRANS_SERVER_KEY');
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
  ])('refuses DOWNSTREAM_SIGNING_SECRET %s', (_name, value) => {
    expectRefused({ ...productionEnv(), DOWNSTREAM_SIGNING_SECRET: value }, 'DOWNSTREAM_SIGNING_SECRET');
  });

  it("refuses the tests' payload key, which is public in this repository, as the only key or beside others", () => {
    expectRefused(
      { ...productionEnv(), PAYLOAD_ENCRYPTION_KEYS: TEST_PAYLOAD_ENCRYPTION_KEYS },
      'PAYLOAD_ENCRYPTION_KEYS',
      /publicly known/,
    );
    const mine = `2026-12:${randomBytes(32).toString('base64')}`;
    expectRefused(
      { ...productionEnv(), PAYLOAD_ENCRYPTION_KEYS: `${mine},${TEST_PAYLOAD_ENCRYPTION_KEYS}` },
      'PAYLOAD_ENCRYPTION_KEYS',
      /key 2 of 2/,
    );
  });

  it('names every unsafe variable at once and prints none of their values', () => {
    const env = {
      ...productionEnv(),
      API_KEYS: 'local-dev-api-key,short-but-secret-key',
      MIDTRANS_SERVER_KEY: `SB-Mid-server-${secret(18)}`,
      MIDTRANS_IS_PRODUCTION: 'false',
      MIDTRANS_API_BASE_URL: 'http://gateway.example.com/secret-path',
      MIDTRANS_SNAP_BASE_URL: 'http://gateway.example.com/snap/v1',
      DOWNSTREAM_SIGNING_SECRET: undefined,
    };
    const message = refusal(env)!;
    for (const variable of [
      'API_KEYS',
      'MIDTRANS_SERVER_KEY',
      'MIDTRANS_IS_PRODUCTION',
      'MIDTRANS_API_BASE_URL',
      'MIDTRANS_SNAP_BASE_URL',
      'DOWNSTREAM_SIGNING_SECRET',
    ]) {
      expect(message).toContain(`${variable}:`);
    }
    for (const value of ['local-dev-api-key', 'short-but-secret-key', env.MIDTRANS_SERVER_KEY, 'gateway.example.com', 'secret-path']) {
      expect(message).not.toContain(value);
    }
  });
});

describe('outside production', () => {
  const developmentEnv = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    NODE_ENV: 'development',
    DATABASE_URL: 'postgresql://tiketq@127.0.0.1:54329/tiketq',
    ...extra,
  });
  const simulatorAt = (base: string) => ({ MIDTRANS_API_BASE_URL: base, MIDTRANS_SNAP_BASE_URL: `${base}/snap/v1` });

  it('an empty API_KEYS still loads (local development without auth; the API warns at startup)', () => {
    expect(loadConfig(developmentEnv(simulatorAt('http://127.0.0.1:8900'))).API_KEYS).toEqual([]);
  });

  it.each(['http://127.0.0.1:8900', 'http://localhost:8900', 'http://[::1]:8900', 'http://127.0.0.2:8900'])(
    'the default (public simulator) server key is accepted with a loopback simulator at %s',
    (base) => {
      expect(loadConfig(developmentEnv(simulatorAt(base))).MIDTRANS_SERVER_KEY).toBe('SB-Mid-server-local-simulator');
    },
  );

  it.each([
    ['no gateway URL (the Midtrans sandbox)', {}],
    ['a simulator on another host', simulatorAt('http://midtrans-simulator:8900')],
    ['the real sandbox', { MIDTRANS_API_BASE_URL: 'https://api.sandbox.midtrans.com' }],
    ['a loopback Core API but Snap at the sandbox', { MIDTRANS_API_BASE_URL: 'http://127.0.0.1:8900' }],
    ['a look-alike of localhost', simulatorAt('http://localhost.example.com:8900')],
  ])('the public simulator server key is refused with %s', (_name, urls) => {
    for (const NODE_ENV of ['development', 'test']) {
      expectRefused(developmentEnv({ NODE_ENV, ...urls }), 'MIDTRANS_SERVER_KEY', /loopback/);
      expectRefused(developmentEnv({ NODE_ENV, ...urls, MIDTRANS_SERVER_KEY: 'SB-Mid-server-local-simulator' }), 'MIDTRANS_SERVER_KEY');
    }
  });

  it('a server key of your own works with any gateway', () => {
    const env = developmentEnv({ ...simulatorAt('http://midtrans-simulator:8900'), MIDTRANS_SERVER_KEY: `SB-Mid-server-${secret(18)}` });
    expect(refusal(env)).toBeUndefined();
    expect(refusal(developmentEnv({ MIDTRANS_SERVER_KEY: `SB-Mid-server-${secret(18)}` }))).toBeUndefined();
  });
});

describe('malformed values', () => {
  it.each([
    ['production', 'MIDTRANS_API_BASE_URL'],
    ['production', 'MIDTRANS_SNAP_BASE_URL'],
    ['development', 'MIDTRANS_API_BASE_URL'],
    ['development', 'MIDTRANS_SNAP_BASE_URL'],
  ])('a %s %s that is not a URL is a configuration error, not a crash', (NODE_ENV, variable) => {
    // Outside production with the simulator's key, which is checked against the gateway URLs.
    const env = {
      ...productionEnv(),
      NODE_ENV,
      [variable]: 'not a url',
      ...(NODE_ENV === 'production' ? {} : { MIDTRANS_SERVER_KEY: undefined }),
    };
    expect(() => loadConfig(env)).toThrow(new RegExp(`^invalid configuration: .*${variable}:`));
  });
});

describe("the worker's metrics and health ports", () => {
  it('are unset by default, so several workers on one machine never fight over a port', () => {
    const config = loadConfig(productionEnv());
    expect(config.WORKER_METRICS_PORT).toBeUndefined();
    expect(config.WORKER_HEALTH_PORT).toBeUndefined();
  });

  it('take a TCP port, and refuse anything else naming the variable', () => {
    expect(loadConfig({ ...productionEnv(), WORKER_METRICS_PORT: '9464', WORKER_HEALTH_PORT: '9465' })).toMatchObject({
      WORKER_METRICS_PORT: 9464,
      WORKER_HEALTH_PORT: 9465,
    });
    for (const bad of ['0', '65536', 'metrics', '94.64']) {
      expect(refusal({ ...productionEnv(), WORKER_METRICS_PORT: bad }), bad).toMatch(/WORKER_METRICS_PORT:/);
      expect(refusal({ ...productionEnv(), WORKER_HEALTH_PORT: bad }), bad).toMatch(/WORKER_HEALTH_PORT:/);
    }
  });
});

describe('RECONCILE_EARLY_LOOKS_MINUTES', () => {
  it('is 1, 5, 15 and 60 minutes by default, and takes ascending minutes within the first hour', () => {
    expect(loadConfig(productionEnv()).RECONCILE_EARLY_LOOKS_MINUTES).toEqual([1, 5, 15, 60]);
    expect(loadConfig({ ...productionEnv(), RECONCILE_EARLY_LOOKS_MINUTES: '15, 60' }).RECONCILE_EARLY_LOOKS_MINUTES).toEqual([15, 60]);
  });

  it('refuses what would look more than 4 times a day after the first hour, or is not a list of minutes', () => {
    for (const bad of ['', '0,5', '5,1', '5,5', '15,90', '1.5', 'fifteen', '1,2,3,4,5,6,7']) {
      expect(refusal({ ...productionEnv(), RECONCILE_EARLY_LOOKS_MINUTES: bad }), bad).toMatch(/RECONCILE_EARLY_LOOKS_MINUTES:/);
    }
  });
});

describe('OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('is unset by default (no tracing), takes a URL, and refuses anything else naming the variable', () => {
    expect(loadConfig(productionEnv()).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(loadConfig({ ...productionEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
      'http://otel-collector:4318',
    );
    expect(refusal({ ...productionEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: 'the collector' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT:/);
  });
});

describe('TRUSTED_PROXIES', () => {
  it('is empty by default: no proxy is trusted', () => {
    const config = loadConfig({ ...productionEnv() });
    expect(config.TRUSTED_PROXIES.check('127.0.0.1', 'ipv4')).toBe(false);
  });

  it('takes IP addresses and CIDR ranges, IPv4 and IPv6', () => {
    const { TRUSTED_PROXIES } = loadConfig({ ...productionEnv(), TRUSTED_PROXIES: '10.0.0.0/8, 192.168.1.7 ,fd00::/8,::1' });
    expect(TRUSTED_PROXIES.check('10.20.30.40', 'ipv4')).toBe(true);
    expect(TRUSTED_PROXIES.check('192.168.1.7', 'ipv4')).toBe(true);
    expect(TRUSTED_PROXIES.check('192.168.1.8', 'ipv4')).toBe(false);
    expect(TRUSTED_PROXIES.check('11.0.0.1', 'ipv4')).toBe(false);
    expect(TRUSTED_PROXIES.check('fd12::1', 'ipv6')).toBe(true);
    expect(TRUSTED_PROXIES.check('::1', 'ipv6')).toBe(true);
    expect(TRUSTED_PROXIES.check('fe80::1', 'ipv6')).toBe(false);
  });

  it.each(['proxy.internal', '10.0.0.0/33', '10.0.0.0/', '10.0.0.300', 'fd00::/129', '*'])('refuses the entry %s', (entry) => {
    expectRefused({ ...productionEnv(), TRUSTED_PROXIES: `127.0.0.1,${entry}` }, 'TRUSTED_PROXIES', /entry 2/);
  });
});

describe('PAYLOAD_ENCRYPTION_KEYS', () => {
  const key = () => randomBytes(32).toString('base64');

  it('is id:base64key entries, comma-separated, in order (the first encrypts)', () => {
    const [k2, k1] = [key(), key()];
    const config = loadConfig({ ...productionEnv(), PAYLOAD_ENCRYPTION_KEYS: ` 2026-12:${k2} , 2026-06:${k1}` });
    expect(config.PAYLOAD_ENCRYPTION_KEYS.map((k) => k.id)).toEqual(['2026-12', '2026-06']);
    expect(config.PAYLOAD_ENCRYPTION_KEYS.map((k) => k.key.toString('base64'))).toEqual([k2, k1]);
  });

  it.each([
    ['unset', undefined],
    ['empty', ''],
    ['only commas', ' , '],
  ])('is required in production: %s', (_name, keys) => {
    expectRefused({ ...productionEnv(), PAYLOAD_ENCRYPTION_KEYS: keys }, 'PAYLOAD_ENCRYPTION_KEYS', /must be set in production/);
  });

  it('comes with unencrypted payloads refused unless ACCEPT_UNENCRYPTED_PAYLOADS is on, in production and out of it', () => {
    for (const NODE_ENV of ['production', 'development']) {
      expect(loadConfig({ ...productionEnv(), NODE_ENV }).ACCEPT_UNENCRYPTED_PAYLOADS).toBe(false);
      expect(loadConfig({ ...productionEnv(), NODE_ENV, ACCEPT_UNENCRYPTED_PAYLOADS: 'true' }).ACCEPT_UNENCRYPTED_PAYLOADS).toBe(true);
    }
    expectRefused({ ...productionEnv(), ACCEPT_UNENCRYPTED_PAYLOADS: 'yes' }, 'ACCEPT_UNENCRYPTED_PAYLOADS', /./);
  });

  it('may be empty outside production (no encryption for a local stack without a key)', () => {
    const env = { ...productionEnv(), NODE_ENV: 'development', PAYLOAD_ENCRYPTION_KEYS: undefined };
    expect(loadConfig(env).PAYLOAD_ENCRYPTION_KEYS).toEqual([]);
  });

  it.each([
    ['a key of 16 bytes', () => `k2:${randomBytes(16).toString('base64')}`, /entry 2 \(key id "k2"\) is not 32 bytes/],
    ['a key of 33 bytes', () => `k2:${randomBytes(33).toString('base64')}`, /entry 2 \(key id "k2"\) is not 32 bytes/],
    ['a key that is not base64', () => `k2:${randomBytes(32).toString('hex')}!`, /entry 2 \(key id "k2"\) is not 32 bytes/],
    ['no id', () => key(), /entry 2 is not id:base64key/],
    ['an empty id', () => `:${key()}`, /entry 2 is not id:base64key/],
    ['a repeated id', () => `k1:${key()}`, /entry 2 repeats the key id "k1"/],
  ])('names the bad entry and never echoes a key: %s', (_name, bad, reason) => {
    const good = `k1:${key()}`;
    const entry = bad();
    const env = { ...productionEnv(), PAYLOAD_ENCRYPTION_KEYS: `${good},${entry}` };
    const message = expectRefused(env, 'PAYLOAD_ENCRYPTION_KEYS', reason);
    expect(message).not.toContain(good.slice(3));
    expect(message).not.toContain(entry.slice(entry.indexOf(':') + 1));
  });
});

describe('OPERATOR_TOKENS', () => {
  const testEnv = {
    NODE_ENV: 'test',
    DATABASE_URL: 'postgresql://tiketq@127.0.0.1:5432/tiketq',
    MIDTRANS_SERVER_KEY: `SB-Mid-server-${secret(18)}`,
  };
  /** Refused naming OPERATOR_TOKENS, never printing a token. */
  function expectOperatorsRefused(env: NodeJS.ProcessEnv, reason: RegExp) {
    const message = expectRefused(env, 'OPERATOR_TOKENS', reason);
    for (const entry of (env.OPERATOR_TOKENS ?? '').split(',')) {
      const token = entry.slice(entry.indexOf(':') + 1);
      if (token.length >= 8) expect(message).not.toContain(token);
    }
  }

  it('parses name:token entries into operators (the token may itself hold a colon)', () => {
    const [ana, budi] = [secret(), `${secret()}:x`];
    const config = loadConfig({ ...productionEnv(), OPERATOR_TOKENS: ` ana:${ana}, budi.s@ops:${budi} ` });
    expect(config.OPERATOR_TOKENS).toEqual([
      { name: 'ana', token: ana },
      { name: 'budi.s@ops', token: budi },
    ]);
  });

  it('may be empty, in production too (then nobody is an operator)', () => {
    expect(loadConfig(productionEnv()).OPERATOR_TOKENS).toEqual([]);
  });

  it.each([
    ['an entry without a name', () => `:${secret()}`, /entry 1 is not name:token/],
    ['an entry without a token', () => 'ana:', /entry 1 is not name:token/],
    ['a bare token', () => secret(), /entry 1 is not name:token/],
    ['a name with a space', () => `ana b:${secret()}`, /entry 1 is not name:token/],
    ['a repeated name', () => `ana:${secret()},ana:${secret()}`, /entry 2 repeats the operator name "ana"/],
  ])('refuses %s, anywhere', (_what, entries, reason) => {
    expectOperatorsRefused({ ...productionEnv(), OPERATOR_TOKENS: entries() }, reason);
    expectOperatorsRefused({ ...testEnv, OPERATOR_TOKENS: entries() }, reason);
  });

  it('refuses two operators with one token (the audit could not tell them apart)', () => {
    const token = secret();
    expectOperatorsRefused(
      { ...productionEnv(), OPERATOR_TOKENS: `ana:${token},budi:${token}` },
      /"budi"\) has the token of another operator/,
    );
  });

  it("refuses in production a short token, the tests' tokens, and a token that is also an API key", () => {
    expectOperatorsRefused(
      { ...productionEnv(), OPERATOR_TOKENS: `ana:${secret()},budi:${secret(16)}` },
      /operator "budi" is shorter than 32/,
    );
    expectOperatorsRefused(
      { ...productionEnv(), OPERATOR_TOKENS: 'ana:integration-test-operator-token' },
      /operator "ana" is publicly known/,
    );
    const env = productionEnv();
    const apiKey = env.API_KEYS!.split(',')[0]!;
    expectOperatorsRefused({ ...env, OPERATOR_TOKENS: `ana:${apiKey}` }, /operator "ana" is also an API key/);
    // Outside production a short token is fine (the tests' own).
    expect(loadConfig({ ...testEnv, OPERATOR_TOKENS: 'ana:short' }).OPERATOR_TOKENS).toHaveLength(1);
  });
});

describe('METRICS_TOKENS: what Prometheus scrapes /metrics with', () => {
  const testEnv = { NODE_ENV: 'test', DATABASE_URL: 'postgresql://tiketq@127.0.0.1:5432/tiketq', MIDTRANS_SERVER_KEY: `SB-Mid-server-${secret(18)}` };

  it('is a list, empty by default', () => {
    expect(loadConfig(testEnv).METRICS_TOKENS).toEqual([]);
    expect(loadConfig({ ...testEnv, METRICS_TOKENS: 'a,b' }).METRICS_TOKENS).toEqual(['a', 'b']);
  });

  it("refuses in production a short token, this repository's test token, and one that is also an API key or an operator token", () => {
    const env = productionEnv();
    const apiKey = env.API_KEYS!.split(',')[0]!;
    const operatorToken = secret();
    expect(() => loadConfig({ ...env, METRICS_TOKENS: secret(16) })).toThrow(/METRICS_TOKENS: token 1 of 1 is shorter than 32/);
    expect(() => loadConfig({ ...env, METRICS_TOKENS: `${secret()},${apiKey}` })).toThrow(/METRICS_TOKENS: token 2 of 2 is also an API key or an operator token/);
    expect(() => loadConfig({ ...env, OPERATOR_TOKENS: `ana:${operatorToken}`, METRICS_TOKENS: operatorToken })).toThrow(/METRICS_TOKENS: token 1 of 1 is also/);
    expect(() => loadConfig({ ...env, METRICS_TOKENS: 'integration-test-metrics-token-0123456789abcdef' })).toThrow(/METRICS_TOKENS: token 1 of 1 is publicly known/);
    // The repository's other known values too: its operator test tokens of 32 characters and more.
    for (const token of ['integration-test-operator-token-2', 'integration-test-reconciliation-operator', 'ana-token-0123456789abcdef0123456789']) {
      expect(() => loadConfig({ ...env, METRICS_TOKENS: token })).toThrow(/METRICS_TOKENS: token 1 of 1 is publicly known/);
      expect(() => loadConfig({ ...env, OPERATOR_TOKENS: `ana:${token}` })).toThrow(/OPERATOR_TOKENS: .*publicly known/);
    }
    expect(loadConfig({ ...env, METRICS_TOKENS: secret() }).METRICS_TOKENS).toHaveLength(1);
  });
});
