// The host yardstick's fixed work (bench/yardstick.ts): the same five loops every time, so a change in their CPU cost
// is the host's, not the service's. Prints one JSON line: CPU nanoseconds per operation of each.
import { createCipheriv, createSecretKey, randomBytes } from 'node:crypto';
import process from 'node:process';

const cpuNs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};
const measure = (ops, work) => {
  const start = cpuNs();
  work();
  return Math.round(((cpuNs() - start) / ops) * 100) / 100;
};

// AES-256-GCM over 1 KiB, as the payload codec seals a payload: native code, cache-resident.
// A key object, as the codec holds its keys: a raw key would be imported again on every cipher (dearer on Node 24).
const key = createSecretKey(randomBytes(32));
const plain = randomBytes(1024);
const aesOps = 10_000;
const aesGcm = () => {
  for (let i = 0; i < aesOps; i += 1) {
    const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
    cipher.update(plain);
    cipher.final();
    cipher.getAuthTag();
  }
};

// JSON round trips of a payment-shaped object: allocation and V8's young generation.
const payment = { id: 'pay-0123456789', order_id: 'TQ-ORDER-0001', amount: 1_250_000, status: 'pending', items: Array.from({ length: 4 }, (_, i) => ({ id: `item-${i}`, price: 312_500, quantity: 1, name: `Jakarta to Denpasar, seat ${i}` })) };
const jsonOps = 10_000;
const json = () => {
  let length = 0;
  for (let i = 0; i < jsonOps; i += 1) length += JSON.parse(JSON.stringify({ ...payment, seq: i })).items.length;
  return length;
};

// Random walks, each step a load that depends on the one before. Through 64 MiB, twice the last-level cache, every step
// misses it (and mostly the TLB): what memory itself costs. Through 4 MiB, which the last-level cache holds while nobody
// else needs it (here a step costs 15-18 ns alone at 4 MiB, 90 ns at 8), the steps miss only as far as neighbours with
// large working sets have evicted the walk's lines.
const walk = (bytes) => {
  const slots = bytes / 4;
  const next = new Uint32Array(slots);
  const order = new Uint32Array(slots);
  for (let i = 0; i < slots; i += 1) order[i] = i;
  for (let i = slots - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (let i = 0; i < slots; i += 1) next[order[i]] = order[(i + 1) % slots];
  return () => {
    let at = 0;
    for (let i = 0; i < chaseOps; i += 1) at = next[at];
    return at;
  };
};
const chaseOps = 2_000_000;
const chase = walk(64 * 2 ** 20);
const cacheChase = walk(4 * 2 ** 20);

// Integer arithmetic in registers: the core's own speed, touching no memory.
const integerOps = 50_000_000;
const integer = () => {
  let x = 1;
  for (let i = 0; i < integerOps; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
};

// One untimed pass each so the timed ones run optimised code.
integer();
aesGcm();
json();
chase();
cacheChase();
process.stdout.write(`${JSON.stringify({ integerNs: measure(integerOps, integer), aesGcmNs: measure(aesOps, aesGcm), jsonNs: measure(jsonOps, json), memoryChaseNs: measure(chaseOps, chase), cacheChaseNs: measure(chaseOps, cacheChase) })}\n`);
