import { AccessRecord } from "@takitini/proto";
import type { Message } from "kafkajs";

/** The access record in a transaction's message. */
export const decodeAccessMessage = (m: Message): AccessRecord => AccessRecord.decode(m.value as Buffer);
