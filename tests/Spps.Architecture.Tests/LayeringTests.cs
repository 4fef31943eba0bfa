using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace Spps.Architecture.Tests;

/// <summary>
/// The dependency rules of docs/architecture.md. Each rule names what may not depend on what; a change
/// that breaks one fails here, with the offending types listed.
/// </summary>
public sealed class LayeringTests
{
    private static readonly ArchUnitNET.Domain.Architecture Spps = new ArchLoader().LoadAssemblies(
        typeof(global::Spps.ErrorCode).Assembly,                          // Spps.Contracts
        typeof(global::Spps.Device.Reference.AuthCode).Assembly,          // Spps.Device.Reference
        typeof(global::Spps.Jtag.ChainedDevicePort).Assembly,             // Spps.Jtag
        typeof(global::Spps.Core.Site.SppsEnvironment).Assembly,          // Spps.Core
        typeof(global::Spps.Hosting.ExitCodes).Assembly,                  // Spps.Hosting
        typeof(global::Spps.Build.Tasks.UserHsmOptions).Assembly)    // Spps.Build.Tasks
        .Build();

    private static IObjectProvider<IType> In(string regex) => Types().That().ResideInNamespaceMatching(regex).As(regex);

    private const string Contracts = @"^Spps(\.Contracts(\..*)?)?$";
    private const string Domain = @"^Spps\.Core\.(Domain|Manufacturer\.Policy)$";
    private const string Roles = @"^Spps\.Core\.(Owner|Manufacturer|Protocol|Domain|Formats|Crypto|IO|Identifiers|Site|Plugins|Device|Storage|Service)(\..*)?$";
    private const string Adapters = @"^Spps\.Core\.Commands$";
    private const string Hosts = @"^Spps\.(Hosting|Build\.Tasks)(\..*)?$";

    [Fact]
    public void The_contract_assembly_shared_with_plugins_depends_on_nothing_of_ours() =>
        Types().That().ResideInAssembly(typeof(global::Spps.ErrorCode).Assembly).Should()
            .NotDependOnAny(Types().That().ResideInNamespaceMatching(@"^Spps\.(Core|Hosting|Build|Device|Jtag)(\..*)?$")).Check(Spps);

    [Fact]
    public void The_JTAG_library_shared_with_programmer_plugins_depends_only_on_the_contracts() =>
        Types().That().ResideInAssembly(typeof(global::Spps.Jtag.ChainedDevicePort).Assembly).Should()
            .NotDependOnAny(Types().That().ResideInNamespaceMatching(@"^Spps\.(Core|Hosting|Build|Device)(\..*)?$")).Check(Spps);

    [Fact]
    public void The_ticket_policy_and_domain_values_are_pure_no_HSM_no_files_no_JSON() =>
        Types().That().Are(In(Domain)).Should()
            .NotDependOnAny(Types().That().ResideInNamespaceMatching(@"^(Spps\.Contracts\.(Hsm|Programmers)|Spps\.Core\.(IO|Site|Plugins|Commands|Formats)|Newtonsoft\.Json.*|System\.IO)$"))
            .Check(Spps);

    [Fact]
    public void The_roles_never_reach_up_into_command_tables_or_hosts() =>
        Types().That().Are(In(Roles)).Should().NotDependOnAny(Types().That().Are(In(Adapters)).Or().Are(In(Hosts))).Check(Spps);

    [Fact]
    public void The_command_tables_never_reach_up_into_hosts() =>
        Types().That().Are(In(Adapters)).Should().NotDependOnAny(Types().That().Are(In(Hosts))).Check(Spps);

    [Fact]
    public void Domain_roles_hold_no_JSON_bags_as_data() =>
        Types().That().ResideInNamespaceMatching(@"^Spps\.Core\.(Domain|Manufacturer\.Policy|Manufacturer|Owner)$")
            .And().DoNotHaveName("LedgerRecord").And().DoNotHaveName("LedgerEventCodec").And().DoNotHaveName("ManufacturerHsm")
            .Should().NotDependOnAny(Types().That().HaveFullName("Newtonsoft.Json.Linq.JObject").Or().HaveFullName("Newtonsoft.Json.Linq.JToken")
                .Or().HaveFullName("Newtonsoft.Json.Linq.JArray"))
            .Check(Spps);

    [Fact]
    public void The_MSBuild_tasks_call_services_never_command_tables() =>
        Types().That().ResideInNamespaceMatching(@"^Spps\.Build\.Tasks(\..*)?$").Should()
            .NotDependOnAny(Types().That().AreAssignableTo(typeof(global::Spps.Core.Commands.CommandSet))).Check(Spps);
}
