import { PortOfEntry } from "@takitini/proto";
import type { DistrictName } from "@takitini/adapter-kit";
import { z } from "zod";

/**
 * NZ ports of entry as Customs officers name them, with the protobuf value,
 * the Police district the port sits in (the event's region when the record
 * names none) and what kind of port it is.
 */
export const PORTS = {
  "Auckland Airport": { code: PortOfEntry.PORT_OF_ENTRY_AUCKLAND_AIRPORT, district: "Counties Manukau", kind: "airport" },
  "Port of Auckland": { code: PortOfEntry.PORT_OF_ENTRY_PORT_OF_AUCKLAND, district: "Auckland City", kind: "seaport" },
  "Port of Tauranga": { code: PortOfEntry.PORT_OF_ENTRY_PORT_OF_TAURANGA, district: "Bay of Plenty", kind: "seaport" },
  "Wellington Airport": { code: PortOfEntry.PORT_OF_ENTRY_WELLINGTON_AIRPORT, district: "Wellington", kind: "airport" },
  "CentrePort Wellington": { code: PortOfEntry.PORT_OF_ENTRY_CENTREPORT_WELLINGTON, district: "Wellington", kind: "seaport" },
  "Christchurch Airport": { code: PortOfEntry.PORT_OF_ENTRY_CHRISTCHURCH_AIRPORT, district: "Canterbury", kind: "airport" },
  Lyttelton: { code: PortOfEntry.PORT_OF_ENTRY_LYTTELTON, district: "Canterbury", kind: "seaport" },
  Napier: { code: PortOfEntry.PORT_OF_ENTRY_NAPIER, district: "Eastern", kind: "seaport" },
  Nelson: { code: PortOfEntry.PORT_OF_ENTRY_NELSON, district: "Tasman", kind: "seaport" },
  "Port Chalmers": { code: PortOfEntry.PORT_OF_ENTRY_PORT_CHALMERS, district: "Southern", kind: "seaport" },
  "International Mail Centre": { code: PortOfEntry.PORT_OF_ENTRY_INTERNATIONAL_MAIL_CENTRE, district: "Counties Manukau", kind: "mail" },
  Northport: { code: PortOfEntry.PORT_OF_ENTRY_NORTHPORT, district: "Northland", kind: "seaport" },
} as const satisfies Record<string, { code: PortOfEntry; district: DistrictName; kind: "airport" | "seaport" | "mail" }>;

export type PortName = keyof typeof PORTS;

export const PORT_NAMES = Object.keys(PORTS) as [PortName, ...PortName[]];

export const portOfEntry = z.enum(PORT_NAMES);

/** The district a record reports against: its own, or the port's. */
export function regionOf(r: { district?: string | undefined; port_of_entry: PortName }): string {
  return r.district ?? PORTS[r.port_of_entry].district;
}

/**
 * How often each port reports, for synthetic data: Auckland Airport, the
 * International Mail Centre and the Port of Auckland carry most of the volume.
 */
export const PORT_WEIGHTS: Record<PortName, number> = {
  "Auckland Airport": 30,
  "Port of Auckland": 16,
  "Port of Tauranga": 10,
  "Wellington Airport": 3,
  "CentrePort Wellington": 2,
  "Christchurch Airport": 5,
  Lyttelton: 3,
  Napier: 2,
  Nelson: 1,
  "Port Chalmers": 2,
  "International Mail Centre": 24,
  Northport: 2,
};
