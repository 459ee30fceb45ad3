import type { ResponseDocs } from '../../http/openapi.js';
import { SYSTEM_RESPONSES } from './system.responses.js';
import { TASK_FILE_RESPONSES } from './task-files.responses.js';
import { TASK_RESPONSES } from './tasks.responses.js';
import { VECTOR_JOB_RESPONSES } from './vector-jobs.responses.js';
import { VECTOR_RESPONSES } from './vector.responses.js';

export type { ResponseDoc, ResponseDocs } from './common.js';

/**
 * The success replies of every JSON route, by `<method> <path>`: kept beside the routes rather
 * than in each declaration, so the request schemas and handlers stay as they are. The OpenAPI test
 * fails for a JSON route missing here.
 */
export const RESPONSE_DOCS: ResponseDocs = {
  ...SYSTEM_RESPONSES,
  ...TASK_RESPONSES,
  ...TASK_FILE_RESPONSES,
  ...VECTOR_RESPONSES,
  ...VECTOR_JOB_RESPONSES,
};
