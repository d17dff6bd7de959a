import { Controller, DynamicModule, Get, Inject, Module, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { HealthCheck, runHealthChecks } from './health-check';

export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
const HEALTH_CHECKS = Symbol('HEALTH_CHECKS');

/** Creates a registry for one service, so several services can share a process in tests without clashing metric names. */
export function createMetricsRegistry(serviceName: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: serviceName });
  collectDefaultMetrics({ register: registry });
  return registry;
}

@ApiExcludeController()
@Controller()
class ObservabilityController {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(HEALTH_CHECKS) private readonly checks: Record<string, HealthCheck>,
  ) {}

  /** Reports liveness and readiness: 200 when every dependency responds, 503 otherwise. */
  @Get('health')
  async health(@Res() response: Response): Promise<void> {
    const report = await runHealthChecks(this.checks);
    response.status(report.status === 'ok' ? 200 : 503).json(report);
  }

  @Get('metrics')
  async metrics(@Res() response: Response): Promise<void> {
    response.type(this.registry.contentType).send(await this.registry.metrics());
  }
}

/** Serves `/health` and `/metrics` (Prometheus text format) for a service. */
@Module({})
export class ObservabilityModule {
  static forRoot(registry: Registry, checks: Record<string, HealthCheck>): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [ObservabilityController],
      providers: [
        { provide: METRICS_REGISTRY, useValue: registry },
        { provide: HEALTH_CHECKS, useValue: checks },
      ],
      exports: [METRICS_REGISTRY],
    };
  }
}
