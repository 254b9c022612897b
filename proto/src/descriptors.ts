import { readFileSync } from "node:fs";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, FieldDescriptorProto_Type, type FileDescriptorSet } from "@bufbuild/protobuf/wkt";

export type { FileDescriptorSet };

/**
 * The build's descriptor set of every contract (`buf build` in `generate`, beside
 * the ts-proto code in src/gen; never committed). Read from disk on each call.
 */
export function descriptorSet(): FileDescriptorSet {
  return fromBinary(FileDescriptorSetSchema, readFileSync(new URL("../src/gen/descriptors.binpb", import.meta.url)));
}

/** One field of one message, as declared in the .proto files. */
export interface DeclaredField {
  /** The message's name inside its package, nested with dots, e.g. "IntelligenceEvent". */
  message: string;
  /** The field's proto name, e.g. "occurred_at". */
  field: string;
  number: number;
  /** A message or enum field's full type name (".takitini.intel.v1.Subject"); a scalar's type, e.g. "string". */
  type: string;
}

const scalar = (t: FieldDescriptorProto_Type) => FieldDescriptorProto_Type[t].toLowerCase();

/** Every field of every message declared in one protobuf package (nested messages included). Pure. */
export function declaredFields(set: FileDescriptorSet, pkg: string): DeclaredField[] {
  const out: DeclaredField[] = [];
  const walk = (prefix: string, messages: FileDescriptorSet["file"][number]["messageType"]) => {
    for (const m of messages) {
      const name = prefix ? `${prefix}.${m.name}` : m.name;
      for (const f of m.field) out.push({ message: name, field: f.name, number: f.number, type: f.typeName || scalar(f.type) });
      walk(name, m.nestedType);
    }
  };
  for (const file of set.file) if (file.package === pkg) walk("", file.messageType);
  return out;
}
