let installed = false;

/**
 * kafkajs 2.2.4 schedules a timer with a negative delay on Node 24
 * (tulios/kafkajs#1751); Node clamps it to 1 ms — what kafkajs meant — and prints
 * a TimeoutNegativeWarning on every connection. Drop that one warning and print
 * every other as Node would.
 */
export function silenceKafkajsTimerWarning(): void {
  if (installed) return;
  installed = true;
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= "1";
  process.removeAllListeners("warning");
  process.on("warning", (w) => {
    if (w.name === "TimeoutNegativeWarning") return;
    process.stderr.write(`(node:${process.pid}) ${w.name}: ${w.message}\n`);
  });
}
