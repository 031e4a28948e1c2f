"""The application service: the use cases every edge (web, CDS Hooks, CLI, queue worker) calls.

Read a patient's record (one reader, batch or parallel searches), evaluate it with one
:class:`~smart_app.service.context.EvaluationContext`, plan, and write the plan with its
Provenance (smart_app.service.patient_plan). Only this package calls the pure engine
(smart_app.service.engine is the one place); the edges stay thin adapters. Nothing is imported
here, so ``ms-monitor evaluate`` (smart_app.service.offline) loads no HTTP or OAuth library.
"""
