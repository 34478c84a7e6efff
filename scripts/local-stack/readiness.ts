import type { Client } from '@temporalio/client';
import type { ServiceProcess } from './processes';
import { GiveUp, waitFor } from './waiting';

/** When a started service can take work: Temporal sees its worker poll, or its HTTP endpoint answers 200. */

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

/** `check`, but a service that has exited ends the wait at once, with the end of its log. */
const whileRunning = (service: ServiceProcess, check: () => Promise<boolean>) => async (): Promise<boolean> => {
  if (!service.running) throw new GiveUp(`${service.name} exited during start:\n${service.logTail()}`);
  return check();
};

/** Waits until the worker process polls `taskQueue` after its latest start; fails at once if it exits. */
export async function waitForWorkerToPoll(client: Client, worker: ServiceProcess, taskQueue: string, timeoutMs = 120_000): Promise<number> {
  const since = worker.startedAt;
  await waitFor(`${worker.name} to poll ${taskQueue}`, whileRunning(worker, () => workerIsPolling(client, taskQueue, since)), timeoutMs, 250);
  return Date.now() - since;
}

/** Waits until `url` answers 200 (the API's /health or /ready); fails at once if the service exits. */
export async function waitForHttpOk(service: ServiceProcess, url: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${service.name} to answer ${url}`, whileRunning(service, async () => (await fetch(url)).status === 200), timeoutMs, 250);
}
