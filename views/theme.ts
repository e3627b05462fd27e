/** The brand, in one place: change these to re-skin every page. Colours feed CSS custom properties. */
export const theme = {
  productName: 'Groundwork ID',
  tagline: 'One login for every project site',
  logoPath: '/assets/logo.svg',
  colors: {
    brand: '#ff5200',
    brandDark: '#c23e00',
    ink: '#1f2933',
    muted: '#5f6b7a',
    surface: '#ffffff',
    background: '#f3f4f6',
    danger: '#b42318',
  },
} as const;
