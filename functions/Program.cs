using Connector.Functions;
using Connector.Orchestrations.Durable;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

FunctionsApplicationBuilder builder = FunctionsApplication.CreateBuilder(args);
builder.Services.AddConnectorFunctions(builder.Configuration);

// The durable retry policies are fixed for the worker's life before it runs an orchestration (see DurableRetry).
DurableRetry.Use(Composition.DurableRetryFirstInterval(builder.Configuration));
builder.Build().Run();
