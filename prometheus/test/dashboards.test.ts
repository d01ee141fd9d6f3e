import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { dashboardFiles, panelProblems, panelQueries, readDashboard, toPromQL } from '../src/dashboards';
import { dashboardSchema } from '../src/grafana-schema';
import { MONITORING_PATHS } from '../src/paths';

const datasources = parse(readFileSync(MONITORING_PATHS.datasourceProvisioning, 'utf8')) as {
  datasources: Array<{ uid: string; type: string; url: string }>;
};
const datasourceUid = datasources.datasources[0]!.uid;
const files = dashboardFiles();

let validate: ValidateFunction;
beforeAll(() => {
  // allowUnionTypes: the generated schema uses type arrays such as ["number", "null"].
  validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(dashboardSchema());
}, 120_000);

describe('Grafana provisioning', () => {
  test('when the datasource is provisioned, then it is the Prometheus on 127.0.0.1:9090 with a fixed uid', () => {
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ uid: 'mlship-prometheus', type: 'prometheus', url: 'http://127.0.0.1:9090' }),
    ]);
  });

  test('when dashboards are provisioned, then one read-only file provider loads them', () => {
    const provisioning = parse(readFileSync(MONITORING_PATHS.dashboardProvisioning, 'utf8')) as {
      providers: Array<{ type: string; allowUiUpdates: boolean; options: { path: string } }>;
    };
    expect(provisioning.providers).toEqual([expect.objectContaining({ type: 'file', allowUiUpdates: false })]);
  });
});

describe('Grafana dashboards', () => {
  test(
    'when the dashboards directory is listed, then the API overview, Model and Edge dashboards are there with ' +
      'unique uids',
    () => {
      expect(files.map((file) => basename(file))).toEqual(['api-overview.json', 'edge.json', 'model.json']);
      const uids = files.map((file) => readDashboard(file).uid);
      expect(new Set(uids).size).toBe(files.length);
    },
  );

  test.each(files.map((file) => [basename(file), file]))(
    'when %s is validated against the schema generated from @grafana/schema, then it conforms',
    (_name, file) => {
      const valid = validate(readDashboard(file));
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    },
  );

  test.each(files.map((file) => [basename(file), file]))(
    'when the panels of %s are checked, then each has a title, the provisioned datasource and a query',
    (_name, file) => {
      expect(panelProblems(readDashboard(file), datasourceUid)).toEqual([]);
      const ids = readDashboard(file).panels?.map((panel) => panel.id);
      expect(new Set(ids).size).toBe(ids?.length);
    },
  );

  test('when a dashboard lacks what a panel needs, then every problem is reported', () => {
    const broken = {
      panels: [{ id: 7, type: 'timeseries', title: ' ', datasource: { uid: 'other' }, targets: [{ refId: 'A' }] }],
    };
    expect(panelProblems(broken, datasourceUid)).toEqual([
      'panel 7 " ": no title',
      'panel 7 " ": datasource uid is "other", want "mlship-prometheus"',
      'panel 7 " ": no query (a target with an expr)',
    ]);
  });

  test('when panels sit in a collapsed row, then their queries are still extracted', () => {
    const dashboard = {
      panels: [{ type: 'row', panels: [{ id: 2, type: 'stat', title: 'up', targets: [{ refId: 'A', expr: 'up' }] }] }],
    };
    expect(panelQueries('x.json', dashboard)).toEqual([
      { dashboard: 'x', panelId: 2, panelTitle: 'up', refId: 'A', expr: 'up' },
    ]);
  });

  test(
    'when queries are extracted from all dashboards, ' + 'then each is runnable PromQL text without Grafana macros',
    () => {
      const queries = files.flatMap((file) => panelQueries(file));
      expect(queries.length).toBeGreaterThanOrEqual(30);
      for (const query of queries) expect(toPromQL(query.expr)).not.toMatch(/\$/);
    },
  );

  test('when an expression uses $__rate_interval, then the live test gets a fixed window instead', () => {
    expect(toPromQL('rate(x[$__rate_interval])', '30s')).toBe('rate(x[30s])');
  });
});
