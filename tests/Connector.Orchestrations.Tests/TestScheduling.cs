using Connector.Orchestrations.Tests;
using Xunit.Abstractions;
using Xunit.Sdk;

// Most of this assembly's time is spent waiting on real systems (durable timers and retry back-offs the product fixes,
// task polls, a worker process restarting), not on the CPU: more test classes run at once than the machine has cores,
// so one class's wait overlaps another's work. The classes that wait longest start first, so none of them is left to
// run alone at the end.
[assembly: CollectionBehavior(MaxParallelThreads = 4)]
[assembly: TestCollectionOrderer("Connector.Orchestrations.Tests." + nameof(StartEarlyFirstOrderer), "Connector.Orchestrations.Tests")]

namespace Connector.Orchestrations.Tests;

/// <summary>
/// Marks a test class that spends minutes waiting (e.g. out a durable retry policy the product fixes): it is started
/// before the others, lowest <see cref="Rank"/> first, so its wait overlaps their work.
/// </summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class StartEarlyAttribute(int rank = 1) : Attribute
{
    /// <summary>Gets the rank: 0 for the longest waits, then 1, 2...</summary>
    public int Rank => rank;
}

/// <summary>Orders the test classes (one collection each): those marked <see cref="StartEarlyAttribute"/> first, by rank; then the rest by name.</summary>
public sealed class StartEarlyFirstOrderer : ITestCollectionOrderer
{
    private const string Prefix = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections)
        => testCollections.OrderBy(Rank).ThenBy(c => c.DisplayName, StringComparer.Ordinal);

    private static int Rank(ITestCollection collection)
    {
        string name = collection.DisplayName.StartsWith(Prefix, StringComparison.Ordinal) ? collection.DisplayName[Prefix.Length..] : collection.DisplayName;
        Type? type = typeof(StartEarlyFirstOrderer).Assembly.GetType(name);
        return type?.GetCustomAttributes(typeof(StartEarlyAttribute), inherit: false).OfType<StartEarlyAttribute>().FirstOrDefault()?.Rank ?? int.MaxValue;
    }
}
