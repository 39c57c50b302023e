/**
 * What AWS FIS and the Terraform AWS provider's aws_fis_experiment_template accept in an
 * experiment template's free text and names (the game days, lib/observe/game-days.ts). Part of
 * AWS_INPUT_RULES (aws-constraints.ts), kept apart so that file does not grow.
 */
import type { InputRule } from './input-rule';

const FIS_API = (page: string) => `https://docs.aws.amazon.com/fis/latest/APIReference/${page}.html`;
const PROVIDER = 'terraform-provider-aws internal/service/fis/experiment_template.go';
const TEMPLATE = ['aws:fis/experimentTemplate:ExperimentTemplate'];

export const FIS_INPUT_RULES: readonly InputRule[] = [
  {
    what: 'experiment template description',
    types: TEMPLATE,
    paths: ['description', 'actions[].description'],
    constraint: { min: 1, max: 512 },
    source: `${FIS_API('API_CreateExperimentTemplate')} (description: at most 512, pattern [\\s\\S]+); ${PROVIDER} (StringLenBetween(0, 512))`,
  },
  {
    what: 'experiment template action and target names',
    types: TEMPLATE,
    paths: ['actions[].name', 'targets[].name', 'actions[].target.value', 'actions[].startAfters[]'],
    constraint: { min: 1, max: 64, pattern: /^\S+$/ },
    source: `${FIS_API('API_CreateExperimentTemplate')} (actions and targets: map keys of at most 64, pattern [\\S]+); ${PROVIDER} (StringLenBetween(0, 64))`,
  },
  {
    what: 'experiment template action id',
    types: TEMPLATE,
    paths: ['actions[].actionId'],
    constraint: { max: 128, pattern: /^aws:[0-9a-z-]+:[0-9A-Za-z/-]+$/ },
    source: `${PROVIDER} (action_id: aws:service-name:action-name)`,
  },
  {
    what: 'experiment template action parameter name',
    types: TEMPLATE,
    paths: ['actions[].parameters[].key'],
    constraint: { min: 1, max: 64 },
    source: `${PROVIDER} (parameter key StringLenBetween(0, 64))`,
  },
  {
    what: 'experiment template action parameter value',
    types: TEMPLATE,
    paths: ['actions[].parameters[].value'],
    constraint: { min: 1, max: 1024 },
    source: `${PROVIDER} (parameter value StringLenBetween(0, 1024))`,
  },
  {
    what: 'experiment template target selection mode',
    types: TEMPLATE,
    paths: ['targets[].selectionMode'],
    constraint: { max: 64, pattern: /^(ALL|COUNT\(\d+\)|PERCENT\(\d+\))$/ },
    source: `${PROVIDER} (selection_mode: ALL, COUNT(n), PERCENT(n))`,
  },
  {
    what: 'experiment template stop condition source',
    types: TEMPLATE,
    paths: ['stopConditions[].source'],
    constraint: { pattern: /^(aws:cloudwatch:alarm|none)$/ },
    source: `${PROVIDER} validExperimentTemplateStopConditionSource; https://docs.aws.amazon.com/fis/latest/userguide/stop-conditions.html`,
  },
];
