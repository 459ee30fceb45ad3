import { addDays, timestampAt, timestampMsAt } from './demo-calendar.js';
import { createRandom, hexId } from './demo-random.js';

/** One row of a demo table, by column name; values are sent as text/number so nothing is converted on the way. */
export type DemoRow = Readonly<Record<string, string | number | null>>;

/** The till / back-office systems the fixture's mapper names, with the source_type ids they go by. */
export const SOURCE_SYSTEMS = { 商业管理: 0, 驿购: 1, 驿美: 3, 手工录入: 4, 司乘管理: 5 } as const;
export type SourceSystem = keyof typeof SOURCE_SYSTEMS;

export const DEMO_COMPANIES = [
  { no: 'H01', name: '南昌分公司' },
  { no: 'H02', name: '宜春分公司' },
  { no: 'H03', name: '上饶分公司' },
  { no: 'H04', name: '赣州分公司' },
  { no: 'H05', name: '九江分公司' },
  { no: 'H06', name: '吉安分公司' },
  { no: 'H07', name: '抚州分公司' },
  { no: 'H08', name: '景德镇分公司' },
  { no: 'Q01', name: '赣东北运营公司' },
] as const;

export interface DemoSectionRoute {
  code: string;
  section: string;
  route: string;
  deleted?: boolean;
}

export const DEMO_SECTION_ROUTES: readonly DemoSectionRoute[] = [
  { code: 'SR0001', section: '昌栗', route: '昌栗' },
  { code: 'SR0002', section: '昌宁', route: '昌韶' },
  { code: 'SR0003', section: '昌九', route: '福银' },
  { code: 'SR0004', section: '九景', route: '杭瑞' },
  { code: 'SR0005', section: '梨温', route: '沪昆' },
  { code: 'SR0006', section: '赣定', route: '大广' },
  { code: 'SR0007', section: '泰井', route: '泰井' },
  { code: 'SR0008', section: '昌金', route: '沪昆' },
  { code: 'SR0009', section: '景婺黄', route: '杭瑞' },
  { code: 'SR0010', section: '南昌绕城', route: '南昌绕城', deleted: true },
];

export interface DemoServiceArea {
  no: string;
  name: string;
  company: (typeof DEMO_COMPANIES)[number]['no'];
  position: string;
  type: '信息化服务区' | '智能化服务区';
  state: '开放' | '关闭' | '上传数据';
  sections: readonly string[];
  /** Suffixes of its branches (档口), e.g. 鲜徕客东区 → 庐山鲜徕客东区; none: no business rows. */
  branches: readonly string[];
  /** The system its mapper row (service_no = service_area_no) comes from. */
  system: SourceSystem;
  /**
   * The area's code in the 驿美 till system. Its business rows carry this code instead of
   * service_area_no, as 宜春服务区's `1028` does in the fixture: they reach bss_service_area only
   * through bss_service_area_mapper, which is what that table is for.
   */
  legacyNo?: string;
  /** bss_business_day_data.source_type when it is not the system's id. */
  businessSourceType?: number;
  carCounts?: boolean;
  deleted?: boolean;
}

export const DEMO_SERVICE_AREAS: readonly DemoServiceArea[] = [
  { no: 'H0105', name: '南昌南服务区', company: 'H01', position: '115.910549,28.396355', type: '信息化服务区', state: '开放', sections: ['SR0008', 'SR0010'], branches: ['东区', '西区'], system: '驿购', carCounts: true },
  { no: 'H0102', name: '昌北服务区', company: 'H01', position: '115.853210,28.812437', type: '智能化服务区', state: '开放', sections: ['SR0003'], branches: ['综合楼'], system: '商业管理' },
  { no: 'H0201', name: '宜春服务区', company: 'H02', position: '114.416732,27.815521', type: '信息化服务区', state: '开放', sections: ['SR0001'], branches: ['南区', '北区'], system: '驿购', legacyNo: '1028', carCounts: true },
  { no: 'H0203', name: '萍乡服务区', company: 'H02', position: '113.874104,27.642310', type: '信息化服务区', state: '开放', sections: ['SR0001'], branches: ['南区'], system: '驿购' },
  { no: 'H0301', name: '上饶服务区', company: 'H03', position: '117.963521,28.453218', type: '智能化服务区', state: '开放', sections: ['SR0005'], branches: ['东区', '西区'], system: '驿购', carCounts: true },
  { no: 'H0304', name: '三清山服务区', company: 'H03', position: '118.067315,28.912640', type: '信息化服务区', state: '上传数据', sections: ['SR0005'], branches: ['东区'], system: '驿购', businessSourceType: 2 },
  { no: 'H0401', name: '赣州服务区', company: 'H04', position: '114.935208,25.831945', type: '智能化服务区', state: '开放', sections: ['SR0006'], branches: ['南区', '北区'], system: '商业管理', carCounts: true },
  { no: 'H0406', name: '信丰西服务区', company: 'H04', position: '114.872316,25.392187', type: '信息化服务区', state: '开放', sections: ['SR0006'], branches: ['南区'], system: '驿购', legacyNo: '1067' },
  { no: 'H0408', name: '南康北服务区', company: 'H04', position: '114.765422,25.701305', type: '信息化服务区', state: '开放', sections: ['SR0006'], branches: ['北区'], system: '驿购', legacyNo: '1062' },
  { no: 'H0501', name: '庐山服务区', company: 'H05', position: '115.982634,29.483172', type: '智能化服务区', state: '开放', sections: ['SR0003'], branches: ['鲜徕客东区', '鲜徕客西区'], system: '驿购', carCounts: true },
  { no: 'H0502', name: '九江服务区', company: 'H05', position: '115.952410,29.661527', type: '信息化服务区', state: '开放', sections: ['SR0004'], branches: ['东区'], system: '驿购' },
  { no: 'H0601', name: '吉安服务区', company: 'H06', position: '114.986532,27.112564', type: '信息化服务区', state: '开放', sections: ['SR0007'], branches: ['东区', '西区'], system: '驿购', carCounts: true },
  { no: 'H0603', name: '井冈山服务区', company: 'H06', position: '114.289541,26.748215', type: '智能化服务区', state: '开放', sections: ['SR0007'], branches: ['综合楼'], system: '商业管理' },
  { no: 'H0701', name: '南城服务区', company: 'H07', position: '116.637215,27.569834', type: '信息化服务区', state: '开放', sections: ['SR0002'], branches: ['东区', '西区'], system: '驿购', carCounts: true },
  { no: 'H0702', name: '抚州服务区', company: 'H07', position: '116.358211,27.948632', type: '信息化服务区', state: '关闭', sections: ['SR0002'], branches: ['南区'], system: '驿购' },
  { no: 'H0801', name: '景德镇服务区', company: 'H08', position: '117.178329,29.268457', type: '智能化服务区', state: '开放', sections: ['SR0004'], branches: ['东区', '西区'], system: '驿购', carCounts: true },
  { no: 'H0814', name: '白鹭湖停车区', company: 'H08', position: '114.574721,26.825584', type: '信息化服务区', state: '关闭', sections: ['SR0009'], branches: [], system: '司乘管理' },
  { no: 'Q0101', name: '婺源服务区', company: 'Q01', position: '117.861752,29.248316', type: '信息化服务区', state: '开放', sections: ['SR0009'], branches: ['东区'], system: '手工录入' },
  { no: 'H0110', name: '樟树停车区', company: 'H01', position: '115.546321,28.055312', type: '信息化服务区', state: '关闭', sections: ['SR0008'], branches: [], system: '驿购', deleted: true },
];

export const companyId = (no: string): string => hexId(`bss_company:${no}`);
export const serviceAreaId = (no: string): string => hexId(`bss_service_area:${no}`);

/** The fixture's route ids are 32 random base-36 characters (`v8elrsfs5f7lt7jl8a6p87smfzesn3rz`). */
export function sectionRouteId(code: string): string {
  return createRandom(`bss_section_route:${code}`).text(32, '0123456789abcdefghijklmnopqrstuvwxyz');
}

interface Audit {
  id: string;
  version: number;
  created: string;
  createdBy: string | null;
  updated?: string | null;
  updatedBy?: string | null;
  deleted?: string | null;
  deletedBy?: string | null;
}

/** A row an admin soft-deleted when its replacement arrived: version 2, updated at the moment of deletion. */
export function supersededAudit(id: string, created: string, createdBy: string, deleted: string): DemoRow {
  return auditFields({ id, version: 2, created, createdBy, updated: deleted, updatedBy: 'admin', deleted, deletedBy: 'admin' });
}

/** The eight bookkeeping columns, in table order. */
export function auditFields(a: Audit): DemoRow {
  return {
    id: a.id,
    version: a.version,
    create_ts: a.created,
    created_by: a.createdBy,
    update_ts: a.updated ?? null,
    updated_by: a.updatedBy ?? null,
    delete_ts: a.deleted ?? null,
    deleted_by: a.deletedBy ?? null,
  };
}

export function companyRows(): DemoRow[] {
  return DEMO_COMPANIES.map((company) => {
    const random = createRandom(`bss_company:${company.no}`);
    const created = timestampMsAt('2021-05-20', random.int(9 * 3600_000, 10 * 3600_000));
    const version = random.chance(0.3) ? 2 : 1;
    const updated = version === 1 ? created : timestampMsAt(addDays('2021-05-20', random.int(1, 60)), random.int(8 * 3600_000, 18 * 3600_000));
    return {
      ...auditFields({ id: companyId(company.no), version, created, createdBy: 'admin', updated, updatedBy: 'admin' }),
      company_name: company.name,
      company_no: company.no,
    };
  });
}

export function serviceAreaRows(): DemoRow[] {
  return DEMO_SERVICE_AREAS.map((area) => {
    const random = createRandom(`bss_service_area:${area.no}`);
    const created = timestampMsAt(random.pick(['2021-05-20', '2021-05-21']), random.int(9 * 3600_000, 20 * 3600_000));
    const updated = timestampMsAt(random.pick(['2021-07-10', '2021-07-11']), random.int(8 * 3600_000, 18 * 3600_000));
    const deleted = area.deleted ? timestampMsAt('2023-02-01', random.int(9 * 3600_000, 12 * 3600_000)) : null;
    return {
      // The fixture shows deleted_by = '' on live areas: the source system writes an empty string, not NULL.
      ...auditFields({
        id: serviceAreaId(area.no),
        version: random.int(1, 6),
        created,
        createdBy: 'admin',
        updated: deleted ?? updated,
        updatedBy: 'admin',
        deleted,
        deletedBy: deleted ? 'admin' : '',
      }),
      service_area_name: area.name,
      // Beyond the fixture DDL (see demo-schema.ts): the name again, under the name the fixture SQL uses.
      service_name: area.name,
      service_area_no: area.no,
      company_id: companyId(area.company),
      service_position: area.position,
      service_area_type: area.type,
      service_state: area.state,
    };
  });
}

export function sectionRouteRows(): DemoRow[] {
  return DEMO_SECTION_ROUTES.map((route) => {
    const random = createRandom(`bss_section_route:${route.code}:audit`);
    const created = timestampAt(random.pick(['2021-10-29', '2022-03-04']), random.int(9 * 3600, 20 * 3600));
    const deleted = route.deleted ? timestampAt('2022-09-15', random.int(9 * 3600, 17 * 3600)) : null;
    return {
      ...auditFields({
        id: sectionRouteId(route.code),
        version: deleted ? 1 : random.int(0, 1),
        created,
        createdBy: 'admin',
        updated: deleted ?? created,
        updatedBy: deleted ? 'admin' : null,
        deleted,
        deletedBy: deleted ? 'admin' : null,
      }),
      section_name: route.section,
      route_name: route.route,
      code: route.code,
    };
  });
}

export function sectionRouteAreaLinkRows(): DemoRow[] {
  return DEMO_SERVICE_AREAS.flatMap((area) =>
    area.sections.map((code) => ({ section_route_id: sectionRouteId(code), service_area_id: serviceAreaId(area.no) })),
  );
}

export function serviceAreaMapperRows(): DemoRow[] {
  return DEMO_SERVICE_AREAS.flatMap((area) => {
    const codes: [string, SourceSystem][] = [[area.no, area.system]];
    if (area.legacyNo) codes.push([area.legacyNo, '驿美']);
    return codes.map(([serviceNo, system]) => {
      const random = createRandom(`bss_service_area_mapper:${serviceNo}`);
      const createdAt = random.int(9 * 3600, 18 * 3600);
      const created = timestampAt(addDays('2023-01-10', random.int(0, 7)), createdAt);
      const deleted = area.deleted ? timestampAt('2023-02-01', random.int(9 * 3600, 17 * 3600)) : null;
      return {
        ...auditFields({
          id: hexId(`bss_service_area_mapper:${serviceNo}`),
          version: 1,
          created,
          createdBy: 'admin',
          // The fixture's mapper rows were touched a few seconds after insert (10:54:03 → 10:54:07).
          updated: deleted ?? timestampAt(created.slice(0, 10), createdAt + random.int(2, 6)),
          updatedBy: deleted ? 'admin' : null,
          deleted,
          deletedBy: deleted ? 'admin' : null,
        }),
        service_name: area.name,
        service_no: serviceNo,
        service_area_id: serviceAreaId(area.no),
        source_system_type: system,
        source_type: SOURCE_SYSTEMS[system],
      };
    });
  });
}
