import type { Logger } from "./logger.js";

export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

/**
 * On SIGTERM or SIGINT run the steps in order (stop taking work, drain, flush
 * producers, leave consumer groups, close servers), bounded by a timeout, then exit.
 * Returns the function that performs the shutdown, for tests and fatal errors.
 */
export function installShutdown(
  logger: Logger,
  steps: ShutdownStep[],
  timeoutMs: number,
): (reason: string, exitCode?: number) => Promise<void> {
  let running: Promise<void> | undefined;
  const shutdown = (reason: string, exitCode = 0): Promise<void> => {
    if (running) return running;
    running = (async () => {
      logger.info({ reason }, "shutting down");
      const timer = setTimeout(() => {
        logger.error({ timeoutMs }, "shutdown timed out; exiting");
        process.exit(exitCode === 0 ? 1 : exitCode);
      }, timeoutMs);
      timer.unref();
      let code = exitCode;
      for (const step of steps) {
        try {
          await step.run();
          logger.debug({ step: step.name }, "shutdown step done");
        } catch (err) {
          code = code === 0 ? 1 : code;
          logger.error({ err, step: step.name }, "shutdown step failed");
        }
      }
      clearTimeout(timer);
      logger.info({ exitCode: code }, "stopped");
      logger.flush();
      process.exit(code);
    })();
    return running;
  };
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
  process.once("SIGINT", () => void shutdown("SIGINT"));
  return shutdown;
}
