/**
 * Just enough of the protobuf wire format to read a ledger record's own bytes
 * in the browser: fields by number, varints, length-delimited values (strings,
 * nested messages such as google.protobuf.Timestamp). Unknown fields are kept
 * by number and ignored by the readers. Pure: no DOM.
 */

/** @typedef {Map<number, (number | Uint8Array)[]>} Fields */

/**
 * The fields of one message, or undefined when the bytes are not a well-formed message.
 * @param {Uint8Array} bytes
 * @returns {Fields | undefined}
 */
export function readFields(bytes) {
  /** @type {Fields} */
  const fields = new Map();
  let p = 0;
  const varint = () => {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (p >= bytes.length) return undefined;
      const b = /** @type {number} */ (bytes[p++]);
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
    }
    return undefined;
  };
  while (p < bytes.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 0) return undefined;
    /** @type {number | Uint8Array} */
    let value;
    if (wire === 0) {
      const v = varint();
      if (v === undefined) return undefined;
      // Negative int32/int64 arrive as 64-bit two's complement.
      value = Number(BigInt.asIntN(64, v));
    } else if (wire === 2) {
      const len = varint();
      if (len === undefined || p + Number(len) > bytes.length) return undefined;
      value = bytes.subarray(p, p + Number(len));
      p += Number(len);
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (p + n > bytes.length) return undefined;
      value = bytes.subarray(p, p + n);
      p += n;
    } else return undefined;
    const list = fields.get(field);
    if (list) list.push(value);
    else fields.set(field, [value]);
  }
  return fields;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Readers of one message's fields (proto3: an absent field reads as its default; the last occurrence wins).
 * @param {Fields} f
 */
export function reader(f) {
  /** @param {number} n */
  const last = (n) => f.get(n)?.at(-1);
  return {
    /** @param {number} n */
    string: (n) => {
      const v = last(n);
      return v instanceof Uint8Array ? utf8.decode(v) : "";
    },
    /** Bytes (a length-delimited field), empty when absent. @param {number} n */
    bytes: (n) => {
      const v = last(n);
      return v instanceof Uint8Array ? v : new Uint8Array(0);
    },
    /** @param {number} n */
    strings: (n) => (f.get(n) ?? []).filter((v) => v instanceof Uint8Array).map((v) => utf8.decode(/** @type {Uint8Array} */ (v))),
    /** @param {number} n */
    number: (n) => {
      const v = last(n);
      return typeof v === "number" ? v : 0;
    },
    /** A double (wire type 1, little-endian IEEE 754); 0 when absent. @param {number} n */
    double: (n) => {
      const v = last(n);
      return v instanceof Uint8Array && v.length === 8 ? new DataView(v.buffer, v.byteOffset, 8).getFloat64(0, true) : 0;
    },
    /**
     * The readers of each occurrence of a nested message field (repeated messages), or undefined when one is malformed.
     * @param {number} n
     */
    messages: (n) => {
      const out = [];
      for (const v of f.get(n) ?? []) {
        const m = v instanceof Uint8Array ? readFields(v) : undefined;
        if (!m) throw new Error(`field ${n} is not a message`);
        out.push(reader(m));
      }
      return out;
    },
    /**
     * A google.protobuf.Timestamp as milliseconds since the epoch (whole milliseconds, as the service keeps them), or undefined when absent.
     * @param {number} n
     */
    timestampMs: (n) => {
      const v = last(n);
      if (!(v instanceof Uint8Array)) return undefined;
      const t = readFields(v);
      if (!t) throw new Error(`field ${n} is not a timestamp`);
      const r = reader(t);
      return r.number(1) * 1000 + Math.floor(r.number(2) / 1e6);
    },
  };
}
