package ms.monitor.hapi;

import ca.uhn.fhir.batch2.jobs.export.BulkDataExportProvider;
import ca.uhn.fhir.context.support.IValidationSupport;
import ca.uhn.fhir.jpa.api.config.JpaStorageSettings;
import ca.uhn.fhir.jpa.api.dao.IFhirSystemDao;
import ca.uhn.fhir.jpa.provider.IJpaSystemProvider;
import ca.uhn.fhir.jpa.provider.JpaCapabilityStatementProvider;
import ca.uhn.fhir.jpa.provider.SubscriptionTriggeringProvider;
import ca.uhn.fhir.jpa.provider.ValueSetOperationProvider;
import ca.uhn.fhir.jpa.search.DatabaseBackedPagingProvider;
import ca.uhn.fhir.narrative2.NullNarrativeGenerator;
import ca.uhn.fhir.rest.api.EncodingEnum;
import ca.uhn.fhir.rest.server.RestfulServer;
import ca.uhn.fhir.rest.server.provider.ResourceProviderFactory;
import ca.uhn.fhir.rest.server.util.ISearchParamRegistry;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The FHIR REST endpoint, mounted at /fhir/* (base URL http://HOST:PORT/fhir). */
@Configuration
public class FhirServletConfig {

	@Bean
	public RestfulServer restfulServer(
			IFhirSystemDao<?, ?> systemDao,
			ResourceProviderFactory resourceProviders,
			IJpaSystemProvider systemProvider,
			JpaStorageSettings storageSettings,
			ISearchParamRegistry searchParamRegistry,
			IValidationSupport validationSupport,
			DatabaseBackedPagingProvider pagingProvider,
			BulkDataExportProvider bulkDataExportProvider,
			ValueSetOperationProvider valueSetOperationProvider,
			SubscriptionTriggeringProvider subscriptionTriggeringProvider,
			@Value("${hapi.default-page-size:20}") int defaultPageSize,
			@Value("${hapi.max-page-size:200}") int maxPageSize) {
		RestfulServer server = new RestfulServer(systemDao.getContext());
		// No generated narratives: they cost time and nobody reads them.
		systemDao.getContext().setNarrativeGenerator(new NullNarrativeGenerator());

		server.registerProviders(resourceProviders.createProviders()); // one per resource type
		server.registerProvider(systemProvider); // transaction/batch, history, $meta ...
		server.registerProvider(bulkDataExportProvider); // $export, $export-poll-status
		server.registerProvider(valueSetOperationProvider); // $expand, $validate-code
		server.registerProvider(subscriptionTriggeringProvider); // $trigger-subscription

		JpaCapabilityStatementProvider capabilities = new JpaCapabilityStatementProvider(
				server, systemDao, storageSettings, searchParamRegistry, validationSupport);
		capabilities.setImplementationDescription("ms-monitor HAPI FHIR R4 server");
		server.setServerConformanceProvider(capabilities);

		// Search results are paged through the database, so next links survive
		// between requests (and across the pages of a large result).
		pagingProvider.setDefaultPageSize(defaultPageSize);
		pagingProvider.setMaximumPageSize(maxPageSize);
		server.setPagingProvider(pagingProvider);

		server.setDefaultResponseEncoding(EncodingEnum.JSON);
		return server;
	}

	@Bean
	public ServletRegistrationBean<RestfulServer> fhirServlet(RestfulServer restfulServer) {
		ServletRegistrationBean<RestfulServer> registration = new ServletRegistrationBean<>(restfulServer, "/fhir/*");
		registration.setName("fhir");
		// Initialise at start-up, so the first request does not pay for it and a
		// /metadata 200 means the server is really ready.
		registration.setLoadOnStartup(1);
		return registration;
	}
}
