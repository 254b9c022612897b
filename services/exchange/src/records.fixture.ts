import { RecordRecipients } from "@takitini/proto";
import type { Records } from "./records.js";

/** The records table of one process, for tests of the exchange's shell on a fake Kafka: what it wrote, nothing else. */
export class MemoryRecords implements Records {
  readonly entries = new Map<string, Buffer>();
  catchUps = 0;
  private started = false;
  constructor(readonly topic = "t.records") {}
  async start(): Promise<void> {
    this.started = true;
  }
  isStarted(): boolean {
    return this.started;
  }
  partitionOf(): number {
    return 0;
  }
  async catchUp(): Promise<void> {
    this.catchUps += 1;
  }
  get(key: string): RecordRecipients | undefined {
    const b = this.entries.get(key);
    return b ? RecordRecipients.decode(b) : undefined;
  }
  wrote(entries: Iterable<[string, Buffer]>): void {
    for (const [k, v] of entries) this.entries.set(k, v);
  }
  async close(): Promise<void> {
    this.started = false;
  }
}
