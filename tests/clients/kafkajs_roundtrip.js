// kafkajs (npm) against a Meridian cluster (issue 5). Usage:
//   node kafkajs_roundtrip.js HOST:PORT[,HOST:PORT...] TOPIC
// 1. creates TOPIC (3 partitions, RF 3);
// 2. two consumers of one group join and split the partitions;
// 3. a producer (acks -1) sends 300 keyed records with headers;
// 4. the group consumes all of them (each member some), commits, and the committed offsets equal
//    the partitions' end offsets (admin.fetchOffsets);
// 5. 50 more records; a new member of the same group receives exactly those 50.
// Prints "ok ..." lines and a final summary; exits 1 on the first failed check.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const [brokerList, topic] = process.argv.slice(2);
const kFirst = 300;
const kSecond = 50;
const kPartitions = 3;
const groupId = `${topic}-group`;
const kafka = new Kafka({
  clientId: 'meridian-kafkajs-test',
  brokers: brokerList.split(','),
  logLevel: logLevel.WARN,
  retry: { retries: 8 },
});

function fail(what) {
  console.log(`FAIL ${what}`);
  process.exit(1);
}

async function until(what, pred, ms) {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) fail(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function message(i) {
  return {
    key: `k${i}`,
    value: `v${i}`,
    headers: { n: String(i), origin: 'kafkajs' },
  };
}

// Starts a group member that files every record by number into `seen` (n -> count).
async function member(name, seen, joined) {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    joined[name] = (e.payload.memberAssignment[topic] || []).length;
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message: m }) => {
      const n = Number(m.headers.n.toString());
      const ok = m.key.toString() === `k${n}` && m.value.toString() === `v${n}` &&
        m.headers.origin.toString() === 'kafkajs';
      if (!ok) fail(`record at ${partition}/${m.offset} does not match its key/headers`);
      seen.by[name] = (seen.by[name] || 0) + 1;
      seen.count.set(n, (seen.count.get(n) || 0) + 1);
    },
  });
  return consumer;
}

async function committedEqualsEnd(admin) {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const want = Object.fromEntries(ends.map((p) => [p.partition, p.high]));
  const got = Object.fromEntries(committed.partitions.map((p) => [p.partition, p.offset]));
  return { ok: ends.every((p) => got[p.partition] === want[p.partition]), want, got };
}

async function main() {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: kPartitions, replicationFactor: 3 }],
    waitForLeaders: true,
  });
  console.log(`ok   created ${topic} (${kPartitions} partitions, RF 3)`);

  const seen = { count: new Map(), by: {} };
  const joined = {};
  const a = await member('a', seen, joined);
  const b = await member('b', seen, joined);
  await until('both members assigned', () => joined.a > 0 && joined.b > 0 &&
    joined.a + joined.b === kPartitions, 60000);
  console.log(`ok   group of 2 joined: a has ${joined.a} partition(s), b has ${joined.b}`);

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let acked = 0;
  for (let i = 0; i < kFirst; i += 50) {
    const batch = [];
    for (let j = i; j < i + 50; ++j) batch.push(message(j));
    const res = await producer.send({ topic, acks: -1, messages: batch });
    acked += res.length > 0 ? batch.length : 0;
  }
  console.log(`ok   producer (acks -1) sent ${acked} keyed records with headers`);

  await until(`all ${kFirst} records consumed`, () => seen.count.size === kFirst, 60000);
  const dups = [...seen.count.values()].filter((c) => c > 1).length;
  if (!(seen.by.a > 0 && seen.by.b > 0)) fail(`one member consumed nothing: ${JSON.stringify(seen.by)}`);
  console.log(`ok   group consumed all ${kFirst} (a ${seen.by.a}, b ${seen.by.b}, ${dups} duplicated)`);

  // kafkajs commits resolved offsets on its auto-commit interval (5 s): poll for up to 20 s.
  let last;
  for (let i = 0; i < 100 && !(last && last.ok); ++i) {
    last = await committedEqualsEnd(admin);
    if (!last.ok) await new Promise((r) => setTimeout(r, 200));
  }
  if (!last.ok) fail(`committed ${JSON.stringify(last.got)} != end ${JSON.stringify(last.want)}`);
  console.log(`ok   committed offsets equal the end offsets ${JSON.stringify(last.got)}`);
  await a.disconnect();
  await b.disconnect();

  for (let i = kFirst; i < kFirst + kSecond; ++i) {
    await producer.send({ topic, acks: -1, messages: [message(i)] });
  }
  const again = { count: new Map(), by: {} };
  const c = await member('c', again, {});
  await until(`the ${kSecond} new records`, () => again.count.size >= kSecond, 60000);
  await new Promise((r) => setTimeout(r, 1000));  // anything older would arrive by now
  const numbers = [...again.count.keys()].sort((x, y) => x - y);
  if (numbers.length !== kSecond || numbers[0] !== kFirst) {
    fail(`new member got ${numbers.length} records starting at ${numbers[0]}`);
  }
  console.log(`ok   a new member resumed at the committed offsets: exactly the ${kSecond} new records`);
  await c.disconnect();
  await producer.disconnect();
  await admin.disconnect();
  console.log(`kafkajs: ${kFirst + kSecond} records, group of 2, committed offsets: all checks passed`);
}

main().catch((e) => fail(`${e.name}: ${e.message}${e.type ? ` (${e.type})` : ''}`));
