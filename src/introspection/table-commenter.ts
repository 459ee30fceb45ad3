import type { TableComments } from './table-docs.js';
import type { TableDescription } from './table-inspector.js';

/** Chooses the table and column comments of the generated DDL and docs. */
export interface TableCommenter {
  /** Which provider produced the comments: recorded in every result. */
  readonly provider: string;
  comment(table: TableDescription, businessContext: string, signal?: AbortSignal): Promise<TableComments>;
}

const WHOLE_NAMES: Record<string, string> = {
  id: '主键ID',
  version: '数据版本号',
  create_ts: '创建时间',
  created_at: '创建时间',
  create_time: '创建时间',
  update_ts: '更新时间',
  updated_at: '更新时间',
  update_time: '更新时间',
  delete_ts: '删除时间',
  deleted_at: '删除时间',
  created_by: '创建人',
  updated_by: '更新人',
  deleted_by: '删除人',
};

const WORDS: Record<string, string> = {
  id: 'ID', uuid: 'UUID', name: '名称', code: '编码', no: '编号', num: '数量', number: '编号', type: '类型',
  status: '状态', state: '状态', date: '日期', time: '时间', ts: '时间', count: '数量', amount: '金额', money: '金额',
  pay: '支付', price: '价格', total: '合计', sum: '合计', avg: '平均', qty: '数量', quantity: '数量', order: '订单',
  customer: '客户', user: '用户', company: '公司', service: '服务', area: '区域', route: '路线', section: '路段',
  car: '车辆', vehicle: '车辆', oper: '营业', day: '日', month: '月', year: '年', remark: '备注', desc: '描述',
  description: '描述', address: '地址', phone: '电话', email: '邮箱', city: '城市', province: '省份', source: '来源',
  level: '级别', link: '关联', mapper: '映射', map: '映射', data: '数据', business: '经营', owner: '所属', create: '创建',
  update: '更新', delete: '删除', by: '人', flag: '标志', is: '是否', rate: '比率', percent: '百分比', wx: '微信',
  zfb: '支付宝', rmb: '现金', xs: '行吞', jd: '金豆', direction: '方向', position: '位置', latitude: '纬度',
  longitude: '经度', start: '起始', end: '结束', product: '商品', category: '品类', branch: '分支', org: '机构',
};

/** `service_area_id` → `服务区域ID`; null when no part of the name is known. */
export function commentFromName(name: string): string | null {
  const whole = WHOLE_NAMES[name.toLowerCase()];
  if (whole) return whole;
  const parts = name.toLowerCase().split(/[_\W]+/).filter(Boolean);
  const known = parts.map((p) => WORDS[p]);
  if (!known.some(Boolean)) return null;
  return parts.map((p, i) => known[i] ?? p).join('');
}

/**
 * The built-in, offline commenter: catalog comments where they exist, names read through a small
 * dictionary where they do not. It never invents business meaning.
 */
export class CatalogTableCommenter implements TableCommenter {
  readonly provider = 'builtin';

  async comment(table: TableDescription): Promise<TableComments> {
    const columns = new Map<string, string>();
    for (const column of table.columns) {
      const comment = column.comment ?? commentFromName(column.name);
      if (comment) columns.set(column.name, comment);
    }
    // Table names usually carry a system prefix (`bss_`); only known words make the comment.
    const known = table.name.toLowerCase().split('_').map((p) => WORDS[p]).filter(Boolean);
    const derived = known.length > 0 ? `${known.join('')}表` : null;
    return { table: table.comment ?? derived, columns };
  }
}
