/* A small drawing tool for an operation's area on a Leaflet map (no leaflet-draw: the node is
 * offline and ships no such package). Three shapes, as the API takes them:
 *
 *   polygon  click (or "add the map's centre") for each vertex; at least three;
 *   route    the same for a route's points (at least two), with the corridor's width in metres;
 *   point    one point, with a radius in metres.
 *
 * Undo takes the last vertex back, clear starts again, finish checks the shape and fixes it.
 * Keyboard: the map pans with the arrow keys when focused, and "Add the map's centre" (or Enter
 * on the focused map) puts a vertex under the cross-hair in the middle of the map. */

const MODES = ['polygon', 'route', 'point'];
const MIN_VERTICES = { polygon: 3, route: 2, point: 1 };
const DIGITS = 6; // about 10 cm: plenty for an operation's area

function coordinate(latlng) {
  return `${latlng.lng.toFixed(DIGITS)} ${latlng.lat.toFixed(DIGITS)}`;
}

/** The drawing tool on `map`; `onChange(tool)` after every change. */
export function createDrawTool(map, onChange) {
  const layer = L.layerGroup().addTo(map);
  const tool = {
    mode: 'polygon',
    vertices: [],
    width_m: 1000,
    radius_m: 1000,
    finished: false,
    problem: '',
  };

  function changed() {
    redraw();
    onChange(tool);
  }

  function redraw() {
    layer.clearLayers();
    const points = tool.vertices;
    const style = { color: '#0b57d0', weight: 3, dashArray: tool.finished ? null : '6 4' };
    if (tool.mode === 'polygon' && points.length >= 2) {
      (points.length >= 3 ? L.polygon(points, { ...style, fillOpacity: 0.15 })
        : L.polyline(points, style)).addTo(layer);
    } else if (tool.mode === 'route' && points.length >= 1) {
      // The corridor: a line as wide as the width on the ground at this zoom is approximated
      // by circles of half the width at each point, joined by the line.
      points.forEach((p) => L.circle(p, {
        radius: tool.width_m / 2, color: '#0b57d0', weight: 1, fillOpacity: 0.08, interactive: false,
      }).addTo(layer));
      if (points.length >= 2) L.polyline(points, style).addTo(layer);
    } else if (tool.mode === 'point' && points.length === 1) {
      L.circle(points[0], { ...style, radius: tool.radius_m, fillOpacity: 0.15 }).addTo(layer);
    }
    points.forEach((p, i) => L.circleMarker(p, {
      radius: 5, color: '#0b57d0', weight: 2, fillColor: '#fff', fillOpacity: 1,
      className: 'draw-vertex', interactive: false,
    }).bindTooltip(String(i + 1), { permanent: false }).addTo(layer));
  }

  tool.setMode = (mode) => {
    if (!MODES.includes(mode) || mode === tool.mode) return;
    tool.mode = mode;
    tool.vertices = mode === 'point' ? tool.vertices.slice(-1) : tool.vertices;
    tool.finished = false;
    changed();
  };
  tool.add = (latlng) => {
    if (tool.finished) return;
    const point = L.latLng(latlng.lat, latlng.lng);
    tool.vertices = tool.mode === 'point' ? [point] : [...tool.vertices, point];
    tool.problem = '';
    changed();
  };
  tool.addCentre = () => tool.add(map.getCenter());
  tool.undo = () => {
    tool.finished = false;
    tool.vertices = tool.vertices.slice(0, -1);
    changed();
  };
  tool.clear = () => {
    tool.finished = false;
    tool.vertices = [];
    tool.problem = '';
    changed();
  };
  tool.setSize = (name, value) => {
    tool[name] = Number(value);
    changed();
  };
  /** Fix the shape: false (and `problem` set) when it has too few points. */
  tool.finish = () => {
    const needed = MIN_VERTICES[tool.mode];
    if (tool.vertices.length < needed) {
      tool.problem = tool.mode;
      changed();
      return false;
    }
    tool.finished = true;
    tool.problem = '';
    changed();
    return true;
  };
  tool.needed = () => MIN_VERTICES[tool.mode];
  /** The area as the API takes it (`wkt` and `width_m`, or `lat`, `lon`, `radius_m`). */
  tool.area = () => {
    const points = tool.vertices;
    if (tool.mode === 'point') {
      if (!points.length) return {};
      return {
        lat: Number(points[0].lat.toFixed(DIGITS)),
        lon: Number(points[0].lng.toFixed(DIGITS)),
        radius_m: tool.radius_m,
      };
    }
    if (tool.mode === 'route') {
      return points.length ? {
        wkt: `LINESTRING (${points.map(coordinate).join(', ')})`, width_m: tool.width_m,
      } : {};
    }
    if (!points.length) return {};
    const ring = [...points, points[0]].map(coordinate).join(', ');
    return { wkt: `POLYGON ((${ring}))` };
  };

  map.on('click', (event) => tool.add(event.latlng));
  map.getContainer().addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && event.target === map.getContainer()) {
      event.preventDefault();
      tool.addCentre();
    }
  });
  return tool;
}
