import { quoteIdent, quoteIdentList } from '../db/identifiers.js';

export type DemoTableName =
  | 'bss_car_day_count'
  | 'bss_business_day_data'
  | 'bss_company'
  | 'bss_section_route'
  | 'bss_section_route_area_link'
  | 'bss_service_area'
  | 'bss_service_area_mapper';

export interface DemoColumn {
  name: string;
  /** The type exactly as the fixture DDL spells it; PostgreSQL accepts every one of them as written. */
  type: string;
  notNull?: boolean;
  comment: string;
  /** Set on the few columns the demo has beyond the fixture DDL; see DemoColumnAddition. */
  addition?: DemoColumnAddition;
}

/**
 * A column the fixture DDL does not have but the fixture's own question/SQL pairs use: without it
 * those pairs fail with 42703 whatever the data. It is nullable and comes after the fixture column
 * it belongs with; a table created before it existed gets it from the seed by ALTER TABLE … ADD
 * COLUMN (so at the end), filled in the same transaction by `UPDATE <table> AS t SET <column> =
 * <backfill>`.
 */
export interface DemoColumnAddition {
  /** The fixture pairs (1-based) that name the column. */
  pairs: readonly number[];
  /** An SQL expression over the row `t` that gives the column's value, as the row builders do. */
  backfill: string;
}

export interface DemoTable {
  name: DemoTableName;
  /**
   * The fixture's `-- 描述` line. It starts with the `-- 中文名` followed by a Chinese comma, so the
   * pipeline's DDL generator (which takes the Chinese name as the part before the first `，`) gives
   * back both header lines of the fixture from this one comment.
   */
  comment: string;
  columns: readonly DemoColumn[];
  primaryKey: readonly string[];
}

export const DEMO_SCHEMA = 'public';

/**
 * The eight bookkeeping columns every bss_* table but the link table starts with. The fixture's
 * column comments carry a `，主键` suffix on the key: that is the generator marking the primary key,
 * not part of the comment, so it is left out here (the generator adds it back).
 */
function auditColumns(idComment: string, updateComment = '更新时间'): DemoColumn[] {
  return [
    { name: 'id', type: 'varchar(32)', notNull: true, comment: idComment },
    { name: 'version', type: 'integer', notNull: true, comment: '数据版本号' },
    { name: 'create_ts', type: 'timestamp', comment: '创建时间' },
    { name: 'created_by', type: 'varchar(50)', comment: '创建人' },
    { name: 'update_ts', type: 'timestamp', comment: updateComment },
    { name: 'updated_by', type: 'varchar(50)', comment: '更新人' },
    { name: 'delete_ts', type: 'timestamp', comment: '删除时间' },
    { name: 'deleted_by', type: 'varchar(50)', comment: '删除人' },
  ];
}

function qualified(name: DemoTableName): string {
  return `${quoteIdent(DEMO_SCHEMA)}.${quoteIdent(name)}`;
}

/**
 * The seven tables of /shared/fixtures/highway_db, in the order of its table_list.txt, with the
 * fixture's columns in the fixture's order. Two columns are additions beyond the fixture DDL that
 * the fixture's real SQL relies on (see DemoColumnAddition): bss_service_area.service_name and
 * bss_business_day_data.service_area_id.
 */
export const DEMO_TABLES: readonly DemoTable[] = [
  {
    name: 'bss_car_day_count',
    comment: '高速公路服务区每日车辆流量统计表，记录各类型车辆数量及变更历史。',
    columns: [
      ...auditColumns('主键ID'),
      { name: 'customer_count', type: 'bigint', comment: '车辆数量' },
      { name: 'car_type', type: 'varchar(100)', comment: '车辆类别' },
      { name: 'count_date', type: 'date', comment: '统计日期' },
      { name: 'service_area_id', type: 'varchar(32)', comment: '服务区ID' },
    ],
    primaryKey: ['id'],
  },
  {
    name: 'bss_business_day_data',
    comment: '高速公路服务区每日经营数据统计表，记录各服务区按日维度的业务指标及操作信息。',
    columns: [
      ...auditColumns('主键ID'),
      { name: 'oper_date', type: 'date', comment: '统计日期' },
      { name: 'service_no', type: 'varchar(255)', comment: '服务区编码' },
      { name: 'service_name', type: 'varchar(255)', comment: '服务区名称' },
      {
        name: 'service_area_id',
        type: 'varchar(32)',
        comment: '服务区ID',
        // `b.service_area_id` in pairs 33 and 40. Rows reach their area through service_no, which
        // is either the area's service_area_no or a till system's code only the mapper knows
        // (宜春服务区's 1028), so the mapper decides; an area with no mapper row falls back to its
        // own service_area_no. A live row wins over a soft-deleted one.
        addition: {
          pairs: [33, 40],
          backfill: /* SQL */ `COALESCE(
            (SELECT m.service_area_id FROM ${qualified('bss_service_area_mapper')} m
              WHERE m.service_no = t.service_no ORDER BY m.delete_ts IS NOT NULL, m.id LIMIT 1),
            (SELECT a.id FROM ${qualified('bss_service_area')} a
              WHERE a.service_area_no = t.service_no ORDER BY a.delete_ts IS NOT NULL, a.id LIMIT 1))`,
        },
      },
      { name: 'branch_no', type: 'varchar(255)', comment: '档口编码' },
      { name: 'branch_name', type: 'varchar(255)', comment: '档口名称' },
      { name: 'wx', type: 'numeric(19,4)', comment: '微信支付金额' },
      { name: 'wx_order', type: 'integer', comment: '微信订单数量' },
      { name: 'zfb', type: 'numeric(19,4)', comment: '支付宝支付金额' },
      { name: 'zf_order', type: 'integer', comment: '支付宝订单数量' },
      { name: 'rmb', type: 'numeric(19,4)', comment: '现金支付金额' },
      { name: 'rmb_order', type: 'integer', comment: '现金订单数量' },
      { name: 'xs', type: 'numeric(19,4)', comment: '行吧支付金额' },
      { name: 'xs_order', type: 'integer', comment: '行吧支付订单数' },
      { name: 'jd', type: 'numeric(19,4)', comment: '金豆支付金额' },
      { name: 'jd_order', type: 'integer', comment: '金豆支付订单数' },
      { name: 'order_sum', type: 'integer', comment: '订单总数' },
      { name: 'pay_sum', type: 'numeric(19,4)', comment: '总支付金额' },
      { name: 'source_type', type: 'integer', comment: '数据来源类型' },
    ],
    primaryKey: ['id'],
  },
  {
    name: 'bss_company',
    comment: '高速公路服务区管理系统中的公司信息表，存储服务区所属公司的基本信息及变更记录。',
    columns: [
      ...auditColumns('公司唯一标识符', '最后更新时间'),
      { name: 'company_name', type: 'varchar(255)', comment: '公司名称' },
      { name: 'company_no', type: 'varchar(255)', comment: '公司编码' },
    ],
    primaryKey: ['id'],
  },
  {
    name: 'bss_section_route',
    comment: '路段路线信息表，记录服务区所属路段及路线名称，支撑高速路网运营管理。',
    columns: [
      ...auditColumns('主键ID'),
      { name: 'section_name', type: 'varchar(255)', comment: '路段名称' },
      { name: 'route_name', type: 'varchar(255)', comment: '路线名称' },
      { name: 'code', type: 'varchar(255)', comment: '路段编号' },
    ],
    primaryKey: ['id'],
  },
  {
    name: 'bss_section_route_area_link',
    comment: '高速公路路线与服务区关联表，用于管理各路段所属的服务区信息。',
    columns: [
      { name: 'section_route_id', type: 'varchar(32)', notNull: true, comment: '路段路线唯一标识' },
      { name: 'service_area_id', type: 'varchar(32)', notNull: true, comment: '服务区唯一标识' },
    ],
    primaryKey: ['section_route_id', 'service_area_id'],
  },
  {
    name: 'bss_service_area',
    comment: '高速公路服务区基础信息表，存储服务区名称、编码及全生命周期管理数据。',
    columns: [
      ...auditColumns('唯一标识符'),
      { name: 'service_area_name', type: 'varchar(255)', comment: '服务区名称' },
      // `s.service_name` in pairs 22, 27, 29 and 30, which take it for the mapper's and the daily
      // data's column of that name: the same value as service_area_name.
      { name: 'service_name', type: 'varchar(255)', comment: '服务区名称', addition: { pairs: [22, 27, 29, 30], backfill: 't.service_area_name' } },
      { name: 'service_area_no', type: 'varchar(255)', comment: '服务区编码' },
      { name: 'company_id', type: 'varchar(32)', comment: '所属公司ID' },
      { name: 'service_position', type: 'varchar(255)', comment: '经纬度坐标' },
      { name: 'service_area_type', type: 'varchar(50)', comment: '服务区类型' },
      { name: 'service_state', type: 'varchar(50)', comment: '运营状态' },
    ],
    primaryKey: ['id'],
  },
  {
    name: 'bss_service_area_mapper',
    comment: '服务区信息映射表，用于管理高速公路上各服务区的编码与名称对应关系。',
    columns: [
      ...auditColumns('唯一标识符'),
      { name: 'service_name', type: 'varchar(255)', comment: '服务区名称' },
      { name: 'service_no', type: 'varchar(255)', comment: '服务区编码' },
      { name: 'service_area_id', type: 'varchar(32)', comment: '服务区业务ID' },
      { name: 'source_system_type', type: 'varchar(50)', comment: '数据来源系统' },
      { name: 'source_type', type: 'integer', comment: '来源系统类型ID' },
    ],
    primaryKey: ['id'],
  },
];

export function qualifiedName(table: DemoTable): string {
  return qualified(table.name);
}

function columnDefinition(column: DemoColumn): string {
  return `${quoteIdent(column.name)} ${column.type}${column.notNull ? ' NOT NULL' : ''}`;
}

/** Runnable CREATE TABLE for one demo table; names and types are the constants above, never input. */
export function createTableStatement(table: DemoTable): string {
  const lines = table.columns.map((c) => `  ${columnDefinition(c)}`);
  lines.push(`  PRIMARY KEY (${quoteIdentList(table.primaryKey)})`);
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(table)} (\n${lines.join(',\n')}\n)`;
}

/**
 * Adds one of the additions to a table an earlier version of the seed created without it. IF NOT
 * EXISTS only guards a race the seed's advisory lock already rules out.
 */
export function addColumnStatement(table: DemoTable, column: DemoColumn): string {
  if (!column.addition) throw new Error(`${table.name}.${column.name} is a fixture column, not one the demo adds`);
  return `ALTER TABLE ${qualifiedName(table)} ADD COLUMN IF NOT EXISTS ${columnDefinition(column)}`;
}

/** Fills an added column in the rows written before it existed; never overwrites a value. */
export function backfillStatement(table: DemoTable, column: DemoColumn): string {
  if (!column.addition) throw new Error(`${table.name}.${column.name} is a fixture column, not one the demo adds`);
  const name = quoteIdent(column.name);
  return `UPDATE ${qualifiedName(table)} AS t SET ${name} = ${column.addition.backfill} WHERE t.${name} IS NULL`;
}
