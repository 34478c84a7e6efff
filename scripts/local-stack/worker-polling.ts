import type { Client } from '@temporalio/client';
import type { ServiceProcess } from './processes';
import { GiveUp, waitFor } from './waiting';

// temporal.api.enums.v1.TaskQueueType: a worker polls both kinds of its task queue.
const WORKFLOW_TASKS = 1;
const ACTIVITY_TASKS = 2;

/** Temporal's own view of who polls: true once a worker has polled both queue kinds since `since` (epoch ms). */
export async function workerIsPolling(client: Client, taskQueue: string, since = 0, namespace = client.options.namespace): Promise<boolean> {
  for (const taskQueueType of [WORKFLOW_TASKS, ACTIVITY_TASKS]) {
    const described = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType });
    const fresh = (described.pollers ?? []).some((poller) => {
      const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
      const nanos = poller.lastAccessTime?.nanos ?? 0;
      return seconds * 1000 + nanos / 1e6 >= since;
    });
    if (!fresh) return false;
  }
  return true;
}

/** Waits until the worker process polls `taskQueue` after its latest start; fails at once if it exits. */
export async function waitForWorkerToPoll(client: Client, worker: ServiceProcess, taskQueue: string, timeoutMs = 120_000): Promise<number> {
  const since = worker.startedAt;
  await waitFor(
    `${worker.name} to poll ${taskQueue}`,
    async () => {
      if (!worker.running) throw new GiveUp(`${worker.name} exited during start:\n${worker.logTail()}`);
      return workerIsPolling(client, taskQueue, since);
    },
    timeoutMs,
    250,
  );
  return Date.now() - since;
}
