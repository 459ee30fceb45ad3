import { addDays, dateRange, dayOfWeek, timestampAt } from './demo-calendar.js';
import {
  auditFields,
  companyRows,
  DEMO_SERVICE_AREAS,
  sectionRouteAreaLinkRows,
  sectionRouteRows,
  serviceAreaId,
  serviceAreaMapperRows,
  serviceAreaRows,
  SOURCE_SYSTEMS,
  supersededAudit,
  type DemoRow,
  type DemoServiceArea,
} from './demo-catalog.js';
import { createRandom, hexId, type DemoRandom } from './demo-random.js';
import type { DemoTableName } from './demo-schema.js';

/**
 * The fixed date windows are the ones the fixture's 50 question/SQL pairs ask about: business on
 * 2023-04-01 and March vs April 2023; cars on 2023-04-01, August–September 2023 and the National
 * Day week of 2023 against the same week of 2022. The other pairs ask about "the last day / week /
 * month" relative to CURRENT_DATE, so both tables also get the RECENT_DAYS days before the seed
 * day; that window is the only part of the data that depends on when it was seeded.
 */
export const BUSINESS_WINDOWS = [['2023-03-01', '2023-04-30']] as const;
export const CAR_WINDOWS = [
  ['2022-10-01', '2022-10-07'],
  ['2023-04-01', '2023-04-30'],
  ['2023-08-01', '2023-10-07'],
] as const;
export const RECENT_DAYS = 30;

/** Share of daily rows that have a superseded, soft-deleted twin (a re-upload replaced them). */
const SUPERSEDED_SHARE = 0.03;

/** Vehicles per day at an average area, by the fixture's car_type values. */
const CAR_TYPES = { 其他: 900, 过境: 520, 城际: 300, 危化品: 24 } as const;

/** Traffic multipliers for the holidays inside the fixed windows (清明, 五一, 国庆/中秋). */
const HOLIDAYS: Readonly<Record<string, number>> = Object.fromEntries([
  ...dateRange('2022-10-01', '2022-10-07').map((d) => [d, 1.6]),
  ['2023-04-05', 1.4],
  ['2023-04-29', 1.5],
  ['2023-04-30', 1.5],
  ...dateRange('2023-09-29', '2023-10-06').map((d) => [d, 1.8]),
]);

function trafficFactor(date: string): number {
  const holiday = HOLIDAYS[date];
  if (holiday) return holiday;
  const day = dayOfWeek(date);
  return day === 0 || day === 6 ? 1.2 : 1;
}

function datesOf(windows: readonly (readonly [string, string])[], today: string | null): string[] {
  const dates = new Set(windows.flatMap(([first, last]) => dateRange(first, last)));
  if (today) for (const date of dateRange(addDays(today, -RECENT_DAYS), addDays(today, -1))) dates.add(date);
  return [...dates].sort();
}

/** Amounts are counted in half yuan, so the columns and their sums stay exact integers until formatted. */
function yuan(halfUnits: number): string {
  return `${Math.floor(halfUnits / 2)}.${halfUnits % 2 === 0 ? '0000' : '5000'}`;
}

/**
 * One branch-day of takings. wx/zfb/xs/jd are whole yuan (the fixture's samples all are); cash
 * may end in .5. order_sum and pay_sum are exactly the sums of the five channels.
 */
function takings(random: DemoRandom, orders: number, ticket: number): DemoRow {
  const zfOrder = random.chance(0.15) ? 0 : Math.round(orders * (0.02 + 0.06 * random.next()));
  const rmbOrder = Math.round(orders * (0.08 + 0.12 * random.next()));
  const xsOrder = random.chance(0.6) ? 0 : random.int(1, Math.max(1, Math.round(orders * 0.03)));
  const jdOrder = random.chance(0.92) ? 0 : random.int(1, 3);
  const wxOrder = Math.max(1, orders - zfOrder - rmbOrder - xsOrder - jdOrder);
  const spend = (count: number, wholeYuan: boolean): number => {
    if (count === 0) return 0;
    const halves = Math.max(2, Math.round(count * ticket * 2 * (0.85 + 0.3 * random.next())));
    return wholeYuan ? halves - (halves % 2) : halves;
  };
  const [wx, zfb, rmb, xs, jd] = [spend(wxOrder, true), spend(zfOrder, true), spend(rmbOrder, false), spend(xsOrder, true), spend(jdOrder, true)];
  return {
    wx: yuan(wx),
    wx_order: wxOrder,
    zfb: yuan(zfb),
    zf_order: zfOrder,
    rmb: yuan(rmb),
    rmb_order: rmbOrder,
    xs: yuan(xs),
    xs_order: xsOrder,
    jd: yuan(jd),
    jd_order: jdOrder,
    order_sum: wxOrder + zfOrder + rmbOrder + xsOrder + jdOrder,
    pay_sum: yuan(wx + zfb + rmb + xs + jd),
  };
}

function businessSourceType(area: DemoServiceArea): number {
  if (area.legacyNo) return SOURCE_SYSTEMS.驿美;
  return area.businessSourceType ?? SOURCE_SYSTEMS[area.system];
}

/** Per service area, branch and day: one live row, and now and then the soft-deleted row it replaced. */
export function* businessDayRows(today: string): Generator<DemoRow> {
  const allDates = datesOf(BUSINESS_WINDOWS, today);
  // A closed area stopped trading: it has the 2023 history but nothing recent.
  const closedDates = datesOf(BUSINESS_WINDOWS, null);
  for (const area of DEMO_SERVICE_AREAS) {
    if (area.deleted) continue;
    const profile = createRandom(`bss_business_day_data:profile:${area.no}`);
    const baseOrders = profile.int(160, 420);
    const ticket = 15 + profile.int(0, 90) / 10;
    const sourceType = businessSourceType(area);
    const shortName = area.name.replace(/(服务区|停车区)$/, '');
    for (const [index, suffix] of area.branches.entries()) {
      const branchNo = area.legacyNo ? String(index + 1) : `${area.no}${index + 1}`;
      const where = {
        service_no: area.legacyNo ?? area.no,
        service_name: area.name,
        // Beyond the fixture DDL (see demo-schema.ts): the area service_no leads to, as the mapper says.
        service_area_id: serviceAreaId(area.no),
        branch_no: branchNo,
        branch_name: `${shortName}${suffix}`,
      };
      for (const date of area.state === '关闭' ? closedDates : allDates) {
        const key = `bss_business_day_data:${area.legacyNo ?? area.no}:${branchNo}:${date}`;
        const random = createRandom(key);
        const orders = Math.round(baseOrders * (index === 0 ? 1 : 0.8) * trafficFactor(date) * (0.85 + 0.3 * random.next()));
        // Loaded by the nightly job between 00:30 and 09:00 the next morning.
        const loadedAt = random.int(1800, 9 * 3600);
        const created = timestampAt(addDays(date, 1), loadedAt);
        // The fixture mixes upper-case UUID-style ids with lower-case ones; 驿购 rows get the former.
        const id = (idKey: string) => (sourceType === SOURCE_SYSTEMS.驿购 ? hexId(idKey).toUpperCase() : hexId(idKey));
        if (random.chance(SUPERSEDED_SHARE)) {
          const early = timestampAt(addDays(date, 1), loadedAt - random.int(1800, 3 * 3600));
          yield {
            ...supersededAudit(id(`${key}:superseded`), early, 'xingba', created),
            oper_date: date,
            ...where,
            ...takings(random, Math.max(1, Math.round(orders * (0.6 + 0.35 * random.next()))), ticket),
            source_type: sourceType,
          };
        }
        yield {
          ...auditFields({ id: id(key), version: 1, created, createdBy: 'xingba', updated: created }),
          oper_date: date,
          ...where,
          ...takings(random, orders, ticket),
          source_type: sourceType,
        };
      }
    }
  }
}

/** Per service area with a vehicle counter, day and car_type: one live row, sometimes a deleted twin. */
export function* carDayCountRows(today: string): Generator<DemoRow> {
  const dates = datesOf(CAR_WINDOWS, today);
  for (const area of DEMO_SERVICE_AREAS) {
    if (!area.carCounts) continue;
    const scale = 0.6 + createRandom(`bss_car_day_count:profile:${area.no}`).next();
    for (const date of dates) {
      for (const [carType, perDay] of Object.entries(CAR_TYPES)) {
        const key = `bss_car_day_count:${area.no}:${date}:${carType}`;
        const random = createRandom(key);
        // Dangerous-goods trucks are kept off the expressways on public holidays.
        const factor = carType === '危化品' && HOLIDAYS[date] ? 0.3 : trafficFactor(date);
        const count = Math.round(perDay * scale * factor * (0.85 + 0.3 * random.next()));
        // The counter uploads the same afternoon (fixture: count_date 2022-03-02, create_ts 2022-03-02 16:01:43).
        const countedAt = random.int(14 * 3600, 18 * 3600);
        const created = timestampAt(date, countedAt);
        const base = { customer_count: count, car_type: carType, count_date: date, service_area_id: serviceAreaId(area.no) };
        if (random.chance(SUPERSEDED_SHARE)) {
          yield {
            ...supersededAudit(hexId(`${key}:superseded`), timestampAt(date, countedAt - random.int(600, 3600)), 'admin', created),
            ...base,
            customer_count: Math.round(count * (0.5 + 0.4 * random.next())),
          };
        }
        yield { ...auditFields({ id: hexId(key), version: 1, created, createdBy: 'admin', updated: created }), ...base };
      }
    }
  }
}

const BUILDERS: Readonly<Record<DemoTableName, (today: string) => Iterable<DemoRow>>> = {
  bss_car_day_count: carDayCountRows,
  bss_business_day_data: businessDayRows,
  bss_company: companyRows,
  bss_section_route: sectionRouteRows,
  bss_section_route_area_link: sectionRouteAreaLinkRows,
  bss_service_area: serviceAreaRows,
  bss_service_area_mapper: serviceAreaMapperRows,
};

/**
 * The rows of one demo table. Everything is a pure function of `today` (the database's
 * CURRENT_DATE, 'YYYY-MM-DD'): the same day gives the same rows, byte for byte.
 */
export function demoRows(table: DemoTableName, today: string): Iterable<DemoRow> {
  return BUILDERS[table](today);
}
