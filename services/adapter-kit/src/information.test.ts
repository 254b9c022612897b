import * as grpc from "@grpc/grpc-js";
import { AdapterServiceClient, Agency, InformationRefusalReason, InformationRequestUrgency, InformationResponseOutcome, PoliceDistrict } from "@takitini/proto";
import { createLogger, createMetricsRegistry } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeGrpc, createGrpcDoor, GRPC_ERROR_CODE_KEY, GRPC_ISSUES_KEY, listenGrpc } from "./grpc.js";
import { Intake } from "./intake.js";
import { INFORMATION_DEFAULTS, informationKinds } from "./information.js";
import { ingest } from "./ingest.js";
import type { AgencyAdapter } from "./kind.js";
import { checkSyntheticRecords, httpDoorForTests, RecordingPublisher, TEST_EVENT_ID_KEY, testPublisher } from "./testing.js";

const [request, response] = informationKinds("POLICE");
const adapter: AgencyAdapter = { agency: "POLICE", service: "test-adapter", topic: "t.test", httpPort: 0, grpcPort: 0, kinds: [request, response], defaults: INFORMATION_DEFAULTS };
const at = new Date("2026-11-20T00:00:00Z");
type Rec = Record<string, unknown>;
const patched = (example: unknown, patch: Rec) => Object.fromEntries(Object.entries({ ...(example as Rec), ...patch }).filter(([, v]) => v !== undefined));
const run = (type: string, r: unknown) => ingest(adapter, type, r, at, { eventIdKey: TEST_EVENT_ID_KEY });
const paths = (type: string, r: unknown) => {
  const result = run(type, r);
  return result.ok ? [] : [...new Set(result.issues.map((i) => i.path))].sort();
};

describe("information_request: validation", () => {
  it("accepts the example", () => expect(paths("information_request", request.example)).toEqual([]));
  checkSyntheticRecords(request, at, 200);

  it.each([
    ["no legal basis", { legal_basis: undefined }, ["legal_basis"]],
    ["a legal basis without its provision", { legal_basis: { instrument: "Privacy Act 2020" } }, ["legal_basis.provision"]],
    ["a request to itself", { addressed_to: "police" }, ["addressed_to"]],
    ["an unknown agency", { addressed_to: "gcsb" }, ["addressed_to"]],
    ["nothing it is about", { about: {} }, ["about"]],
    ["a subject with an unknown field", { about: { persons: [{ person_id: "P-1", name: "Aroha", eye_colour: "brown" }] } }, ["about.persons[0].eye_colour"]],
    ["a phone number in the question", { question: "Who answers 027 555 0199 at the address you hold?" }, ["question"]],
    ["an e-mail address in the question", { question: "Who uses aroha.smith@example.org for the business?" }, ["question"]],
    ["a passport number in the question", { question: "Whose passport is LA123456 according to your records?" }, ["question"]],
    ["a question too short", { question: "Who?" }, ["question"]],
    ["an unknown urgency", { urgency: "yesterday" }, ["urgency"]],
    ["an unknown field", { answer_by: "2026-12-01" }, ["answer_by"]],
    ["a date in the future", { requested_at: "2027-06-01T00:00:00Z" }, ["requested_at"]],
  ])("refuses %s with its field path", (_n, patch, expected) => {
    expect(paths("information_request", patched(request.example, patch))).toEqual(expected);
  });

  it("answers 400 VALIDATION_FAILED naming the field at the HTTP door, and publishes nothing", async () => {
    const { app, publisher } = await httpDoorForTests(adapter);
    const res = await app.inject({ method: "POST", url: "/v1/information-requests", payload: patched(request.example, { legal_basis: undefined }) });
    await app.close();
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { code: string; issues: { path: string }[] } }).error).toMatchObject({ code: "VALIDATION_FAILED", issues: [{ path: "legal_basis" }] });
    expect(publisher.published).toEqual([]);
  });
});

describe("information_request: mapping", () => {
  it("names the agency asked, the matter, the question and urgency; the subjects as typed subjects; the requester's legal basis", () => {
    const r = run("information_request", request.example);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const e = r.event;
    expect([e.eventType, e.sourceAgency, e.region, e.operationRef, e.sourceRecordId]).toEqual(["police.information_request", Agency.AGENCY_POLICE, PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY, "", "POLICE-RFI-2026-0117"]);
    expect(e.payload).toEqual({
      $case: "informationRequest",
      value: { addressedTo: Agency.AGENCY_CUSTOMS, matterRef: "POLICE-RFI-FILE-2026-0042", question: (request.example as Rec).question, urgency: InformationRequestUrgency.INFORMATION_REQUEST_URGENCY_PRIORITY },
    });
    expect(e.subjects.map((s) => s.entity?.value.subjectId)).toEqual(["police/person/P-2026-0311"]);
    expect(e.legalBasis).toEqual({ instrument: "Privacy Act 2020", provision: "IPP 11(1)(e)(i)", description: "disclosure necessary to avoid prejudice to the maintenance of the law" });
    expect([e.classification, e.handling?.caveats]).toEqual(["CLASSIFICATION_IN_CONFIDENCE", ["HANDLING_CAVEAT_ORIGINATOR_CONTROL"]]);
  });

  it("is listed by every agency under its own event types and the kit's paths", () => {
    for (const agency of ["POLICE", "CUSTOMS", "MBIE", "MSD"] as const) {
      const [q, a] = informationKinds(agency);
      expect([q.recordType, q.eventType, q.httpPath, a.recordType, a.eventType, a.httpPath]).toEqual([
        "information_request",
        `${agency.toLowerCase()}.information_request`,
        "/v1/information-requests",
        "information_response",
        `${agency.toLowerCase()}.information_response`,
        "/v1/information-responses",
      ]);
      expect((q.example as Rec).addressed_to).not.toBe(agency.toLowerCase());
    }
  });
});

describe("information_response: validation", () => {
  it("accepts the example", () => expect(paths("information_response", response.example)).toEqual([]));
  checkSyntheticRecords(response, at, 200);

  const refused = { outcome: "refused", refusal_reason: "not_held", answer: undefined, persons: undefined };
  it.each([
    ["no legal basis", { legal_basis: undefined }, ["legal_basis"]],
    ["no requesting agency", { requested_by: undefined }, ["requested_by"]],
    ["a response to itself", { requested_by: "police" }, ["requested_by"]],
    ["a request id that is not an event id", { request_event_id: "POLICE-RFI-2026-0117" }, ["request_event_id"]],
    ["an unknown outcome", { outcome: "maybe" }, ["outcome"]],
    ["a partial answer without a reason", { refusal_reason: undefined }, ["refusal_reason"]],
    ["an answer with a refusal reason", { outcome: "answered" }, ["refusal_reason"]],
    ["an answer without text", { outcome: "answered", refusal_reason: undefined, answer: undefined }, ["answer"]],
    ["a refusal without a reason", { ...refused, refusal_reason: undefined }, ["refusal_reason"]],
    ["a refusal with an answer", { ...refused, answer: "We hold it." }, ["answer"]],
    ["a refusal disclosing subjects", { ...refused, persons: [{ person_id: "P-1", name: "Aroha" }] }, ["persons"]],
    ["an unknown refusal reason", { ...refused, refusal_reason: "busy" }, ["refusal_reason"]],
    ["a phone number in the answer", { answer: "They answer on 021 555 0147." }, ["answer"]],
  ])("refuses %s with its field path", (_n, patch, expected) => {
    expect(paths("information_response", patched(response.example, patch))).toEqual(expected);
  });
});

describe("information_response: mapping", () => {
  it("names the request's event id, the requesting agency, the outcome and reason, the answer; the disclosed subjects typed; the responder's legal basis", () => {
    const r = run("information_response", response.example);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.event.eventType).toBe("police.information_response");
    expect(r.event.payload).toEqual({
      $case: "informationResponse",
      value: {
        requestEventId: "6b0c1a2e-1111-4000-8000-000000000117",
        requestedBy: Agency.AGENCY_CUSTOMS,
        outcome: InformationResponseOutcome.INFORMATION_RESPONSE_OUTCOME_PARTIALLY_ANSWERED,
        refusalReason: InformationRefusalReason.INFORMATION_REFUSAL_REASON_PREJUDICE_TO_INVESTIGATION,
        answer: (response.example as Rec).answer,
      },
    });
    expect(r.event.subjects.map((s) => s.entity?.value.subjectId)).toEqual(["police/person/P-77120"]);
  });

  it("a refusal carries no answer and no subjects", () => {
    const r = run("information_response", patched(response.example, refused_()));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect([r.event.subjects, r.event.payload?.$case === "informationResponse" && r.event.payload.value.answer, r.event.payload?.$case === "informationResponse" && r.event.payload.value.outcome]).toEqual([
      [],
      "",
      InformationResponseOutcome.INFORMATION_RESPONSE_OUTCOME_REFUSED,
    ]);
  });
});

function refused_(): Rec {
  return { outcome: "refused", refusal_reason: "safety", answer: undefined, persons: undefined };
}

describe("through the gRPC door, like every kind", () => {
  const publisher = new RecordingPublisher();
  const intake = new Intake(adapter, publisher, createMetricsRegistry("t"), createLogger("t", "silent"), { eventIdKey: TEST_EVENT_ID_KEY, now: () => at });
  const server = createGrpcDoor(intake, { agency: adapter.agency, tls: "insecure", identify: () => ({ ok: true, publisher: testPublisher(adapter.agency) }), maxMessageBytes: 1024 * 1024, maxStreamRecords: 100, logger: createLogger("t", "silent") });
  let client: InstanceType<typeof AdapterServiceClient>;
  beforeAll(async () => {
    const port = await listenGrpc(server, "127.0.0.1", 0, "insecure");
    client = new AdapterServiceClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await closeGrpc(server, 1000);
  });
  const publish = (recordType: string, record: unknown) =>
    new Promise<{ err: grpc.ServiceError | null; code?: string; paths: string[]; eventType?: string }>((resolve) =>
      client.publish({ recordType, record: record as never }, (err, res) =>
        resolve({ err, code: err ? String(err.metadata.get(GRPC_ERROR_CODE_KEY)[0]) : undefined, paths: err ? (JSON.parse(String(err.metadata.get(GRPC_ISSUES_KEY)[0])) as { path: string }[]).map((i) => i.path) : [], eventType: res?.eventType }),
      ),
    );

  it("publishes a request and a response, and refuses one without a legal basis INVALID_ARGUMENT naming it", async () => {
    expect(await publish("information_request", request.example)).toMatchObject({ err: null, eventType: "police.information_request" });
    expect(await publish("information_response", response.example)).toMatchObject({ err: null, eventType: "police.information_response" });
    const refused = await publish("information_request", patched(request.example, { request_id: "POLICE-RFI-X", legal_basis: undefined }));
    expect([refused.err?.code, refused.code, refused.paths]).toEqual([grpc.status.INVALID_ARGUMENT, "VALIDATION_FAILED", ["legal_basis"]]);
    expect(publisher.published.map((e) => e.eventType)).toEqual(["police.information_request", "police.information_response"]);
  });
});
