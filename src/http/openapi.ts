import { z } from 'zod';
import type { RouteDefinition, RouteRegistry } from './route-registry.js';

type JsonSchema = Record<string, unknown>;

/** What one success reply's `data` holds: its schema and an example. */
export interface ResponseDoc {
  description: string;
  data: z.ZodType;
  example: Record<string, unknown>;
}

/** Per operation (`<method> <path>` as registered), per success status. */
export type ResponseDocs = Record<string, Partial<Record<number, ResponseDoc>>>;

function toSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** `/tasks/:task_id` → `/tasks/{task_id}` */
function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function parametersOf(route: RouteDefinition): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [['path', route.params], ['query', route.query]] as const) {
    if (!schema) continue;
    const json = toSchema(schema);
    const props = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries(props)) {
      out.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        description: prop.description,
        schema: { ...prop, description: undefined },
      });
    }
  }
  for (const match of route.path.matchAll(/:(\w+)/g)) {
    if (!out.some((p) => (p as { name: string }).name === match[1])) {
      out.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
    }
  }
  return out;
}

const ENVELOPE_REF = { $ref: '#/components/schemas/SuccessEnvelope' };
const ERROR_REF = { $ref: '#/components/schemas/ErrorEnvelope' };

/** The success envelope around one operation's own `data` schema, with its example. */
function successContent(status: number, doc: ResponseDoc): Record<string, unknown> {
  return {
    'application/json': {
      schema: {
        type: 'object',
        required: ['success', 'code', 'message', 'data'],
        properties: {
          success: { const: true },
          code: { const: status, description: 'Equals the HTTP status' },
          message: { type: 'string' },
          data: toSchema(doc.data),
        },
      },
      example: { success: true, code: status, message: '操作成功', data: doc.example },
    },
  };
}

/** A download or a stream: the content type and bytes, no envelope. */
function rawContent(produces: string): Record<string, unknown> {
  if (produces === 'application/json') return { [produces]: { schema: { type: 'object', description: 'The OpenAPI 3.1 document' } } };
  if (produces === 'text/event-stream') return { [produces]: { schema: { type: 'string', description: 'Server-sent events' } } };
  return { [produces]: { schema: { type: 'string', format: 'binary' } } };
}

/**
 * The OpenAPI 3.1 document of every registered route, generated from their zod schemas; each
 * JSON route's success replies from `responses` (a route missing there falls back to the generic
 * envelope, which the OpenAPI test refuses).
 */
export function buildOpenApiDocument(registry: RouteRegistry, info: { title: string; version: string }, responseDocs: ResponseDocs = {}): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of registry.list()) {
    const path = `/api/v0${openApiPath(route.path)}`;
    const docs = responseDocs[`${route.method} ${route.path}`] ?? {};
    const responses: Record<string, unknown> = {
      [route.success.status]: {
        description: route.success.description,
        content: route.produces ? rawContent(route.produces) : { 'application/json': { schema: ENVELOPE_REF } },
      },
    };
    if (!route.produces) {
      for (const [status, doc] of Object.entries(docs)) {
        if (doc) responses[status] = { description: doc.description, content: successContent(Number(status), doc) };
      }
    }
    for (const status of route.errors ?? []) {
      responses[status] = { description: 'Error envelope (success: false, data.error_type and error.type)', content: { 'application/json': { schema: ERROR_REF } } };
    }
    paths[path] = {
      ...paths[path],
      [route.method]: {
        tags: [route.tag],
        summary: route.summary,
        description: route.description,
        operationId: `${route.method}_${route.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
        parameters: parametersOf(route),
        ...(route.body ?? route.bodyDoc
          ? { requestBody: { required: !route.bodyDoc, content: { 'application/json': { schema: toSchema((route.body ?? route.bodyDoc)!) } } } }
          : {}),
        ...(route.multipart
          ? {
              requestBody: {
                required: true,
                content: {
                  'multipart/form-data': {
                    schema: {
                      type: 'object',
                      properties: Object.fromEntries(
                        Object.entries(route.multipart).map(([name, description]) => [
                          name,
                          name === 'file' ? { type: 'string', format: 'binary', description } : { type: 'string', description },
                        ]),
                      ),
                    },
                  },
                },
              },
            }
          : {}),
        responses,
        ...(route.public ? { security: [] } : {}),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
    paths,
    security: [{ bearerAuth: [] }],
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'Only when API_TOKEN is set' } },
      schemas: {
        SuccessEnvelope: {
          type: 'object',
          required: ['success', 'code', 'message', 'data'],
          properties: {
            success: { const: true },
            code: { type: 'integer', description: 'Equals the HTTP status' },
            message: { type: 'string', examples: ['操作成功'] },
            data: {
              type: 'object',
              required: ['response', 'timestamp'],
              properties: { response: { type: 'string' }, timestamp: { type: 'string', format: 'date-time' } },
              additionalProperties: true,
            },
          },
        },
        ErrorEnvelope: {
          type: 'object',
          required: ['success', 'code', 'message', 'data', 'error'],
          properties: {
            success: { const: false },
            code: { type: 'integer' },
            message: { type: 'string', examples: ['请求参数错误', '资源未找到'] },
            data: {
              type: 'object',
              properties: {
                response: { type: 'string' },
                error_type: { type: 'string' },
                timestamp: { type: 'string' },
                missing_params: { type: 'array', items: { type: 'string' } },
                invalid_params: { type: 'array', items: { type: 'string' } },
              },
              additionalProperties: true,
            },
            error: {
              type: 'object',
              properties: {
                type: { type: 'string' },
                details: {},
                missing_params: { type: 'array', items: { type: 'string' } },
                invalid_params: { type: 'array', items: { type: 'string' } },
              },
            },
            request_id: { type: 'string' },
          },
        },
      },
    },
  };
}
