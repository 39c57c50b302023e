/**
 * The experiment, driven through AWS FIS (SDK v3): find the stack's template by its Name tag
 * (the GameDays component tags each `fis-<experiment>-<region code>-<env>`), start it, read its
 * state, stop it. `send` is the client's, so tests give a fake one.
 */
import {
  FisClient,
  GetExperimentCommand,
  ListExperimentTemplatesCommand,
  StartExperimentCommand,
  StopExperimentCommand,
} from '@aws-sdk/client-fis';
import { randomUUID } from 'crypto';

/** FIS experiment states (API_ExperimentState: pending, initiating, running, completed, stopping, stopped, failed, cancelled). */
export const FINAL_STATES = ['completed', 'stopped', 'failed', 'cancelled'] as const;

export interface ExperimentState {
  readonly status: string;
  readonly reason?: string;
}

export interface ExperimentDriver {
  /** Starts the template tagged `templateName`; returns the experiment's id. */
  start(templateName: string, tags: Record<string, string>): Promise<string>;
  state(experimentId: string): Promise<ExperimentState>;
  stop(experimentId: string): Promise<void>;
}

type Send = FisClient['send'];

export function fisDriver(send: Send): ExperimentDriver {
  const templateId = async (name: string): Promise<string> => {
    let nextToken: string | undefined;
    do {
      const page = await send(new ListExperimentTemplatesCommand({ nextToken }));
      const found = page.experimentTemplates?.find((t) => t.tags?.Name === name);
      if (found?.id) return found.id;
      nextToken = page.nextToken;
    } while (nextToken);
    throw new Error(
      `no FIS experiment template tagged Name=${name} in this region: is the stack deployed with gameDays: enabled?`,
    );
  };
  return {
    async start(templateName, tags) {
      const id = await templateId(templateName);
      const out = await send(new StartExperimentCommand({ experimentTemplateId: id, clientToken: randomUUID(), tags }));
      if (!out.experiment?.id) throw new Error(`FIS started no experiment from template ${id}`);
      return out.experiment.id;
    },
    async state(experimentId) {
      const out = await send(new GetExperimentCommand({ id: experimentId }));
      return { status: out.experiment?.state?.status ?? 'unknown', reason: out.experiment?.state?.reason };
    },
    async stop(experimentId) {
      await send(new StopExperimentCommand({ id: experimentId }));
    },
  };
}

/** The real client, in the experiment's region. */
export function fisClient(region: string): FisClient {
  return new FisClient({ region });
}
