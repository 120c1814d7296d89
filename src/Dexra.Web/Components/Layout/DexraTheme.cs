using MudBlazor;

namespace Dexra.Web.Components.Layout;

internal static class DexraTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4f46e5",
            Secondary = "#0ea5e9",
            AppbarBackground = "#ffffff",
            AppbarText = "#1f2330",
            Background = "#f6f7fb",
            DrawerBackground = "#ffffff",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#818cf8",
            Secondary = "#38bdf8",
            AppbarBackground = "#1a1f29",
            Background = "#12151c",
            Surface = "#1a1f29",
            DrawerBackground = "#1a1f29",
        },
        LayoutProperties = new LayoutProperties { DefaultBorderRadius = "8px" },
    };
}
