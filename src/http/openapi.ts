import { z } from 'zod';
import type { RouteDefinition, RouteRegistry } from './route-registry.js';

type JsonSchema = Record<string, unknown>;

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

/** The OpenAPI 3.1 document of every registered route, generated from their zod schemas. */
export function buildOpenApiDocument(registry: RouteRegistry, info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of registry.list()) {
    const path = `/api/v0${openApiPath(route.path)}`;
    const responses: Record<string, unknown> = {
      [route.success.status]: {
        description: route.success.description,
        content: route.produces
          ? { [route.produces]: { schema: { type: 'string', format: 'binary' } } }
          : { 'application/json': { schema: ENVELOPE_REF } },
      },
    };
    for (const status of route.errors ?? []) {
      responses[status] = { description: 'SPEC §3 error envelope', content: { 'application/json': { schema: ERROR_REF } } };
    }
    paths[path] = {
      ...paths[path],
      [route.method]: {
        tags: [route.tag],
        summary: route.summary,
        description: route.description,
        operationId: `${route.method}_${route.path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
        parameters: parametersOf(route),
        ...(route.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(route.body) } } } }
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
