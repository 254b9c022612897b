import { Counter, type Registry } from "prom-client";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/**
 * Rate limits for a gRPC door (fastify's plugin covers only HTTP): units per
 * minute per client address and per principal, with rate-limiter-flexible's
 * in-memory limiter. A refused attempt counts against the allowance too, so a
 * flood does not refill it. 0 turns a limit off.
 */
export interface GrpcRateLimits {
  perAddressPerMinute: number;
  perPrincipalPerMinute: number;
}

export interface GrpcRateLimiter {
  /** Take `units` from the address's allowance: undefined, or the seconds until it refills. */
  address(peer: string, units?: number): Promise<number | undefined>;
  /** Take `units` from the principal's allowance: undefined, or the seconds until it refills. */
  principal(key: string, units?: number): Promise<number | undefined>;
}

/** The client address of a gRPC peer, without its port (`ipv4:127.0.0.1:5123` → `127.0.0.1`, `ipv6:[::1]:5123` → `::1`). Pure. */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, "");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(bare);
  if (bracketed) return bracketed[1]!;
  const v4 = /^(\d+\.\d+\.\d+\.\d+)(?::\d+)?$/.exec(bare);
  if (v4) return v4[1]!;
  return bare;
}

export function grpcRateLimiter(limits: GrpcRateLimits | undefined, metrics?: Registry): GrpcRateLimiter {
  const make = (perMinute: number) => (perMinute > 0 ? new RateLimiterMemory({ points: perMinute, duration: 60 }) : undefined);
  const byAddress = make(limits?.perAddressPerMinute ?? 0);
  const byPrincipal = make(limits?.perPrincipalPerMinute ?? 0);
  const counter = metrics ? new Counter({ name: "grpc_rate_limited_total", help: "gRPC calls (or stream chunks) refused for their rate, by the limit exceeded", labelNames: ["limit"], registers: [metrics] }) : undefined;
  const take = async (limiter: RateLimiterMemory | undefined, key: string, units: number, limit: "address" | "principal"): Promise<number | undefined> => {
    if (!limiter) return undefined;
    try {
      await limiter.consume(key, units);
      return undefined;
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      counter?.inc({ limit });
      return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
    }
  };
  return {
    address: (peer, units = 1) => take(byAddress, peerAddress(peer), units, "address"),
    principal: (key, units = 1) => take(byPrincipal, key, units, "principal"),
  };
}
