import { sqlString, type ClickHouseClient } from "./clickhouse-connection.js";
import { columnSkipper, columnWriter, type ColumnSkipper, type ColumnWriter } from "./row-binary.js";

/** The columns of one trail table, with the RowBinary writer and skipper of each one's type (see row-binary.ts). */
export class TrailTableColumns {
  private readonly writers = new Map<string, ColumnWriter>();

  /** `name` is database-qualified; `types` maps each column to its type as system.columns gives it. */
  constructor(
    readonly name: string,
    private readonly types: ReadonlyMap<string, string>,
  ) {}

  writer(column: string): ColumnWriter {
    let writer = this.writers.get(column);
    if (writer === undefined) {
      writer = columnWriter(this.typeOf(column));
      this.writers.set(column, writer);
    }
    return writer;
  }

  /** What skips a value of the column in RowBinary read back from ClickHouse. */
  skipper(column: string): ColumnSkipper {
    return columnSkipper(this.typeOf(column));
  }

  private typeOf(column: string): string {
    const type = this.types.get(column);
    if (type === undefined) throw new Error(`${this.name} has no column ${column}`);
    return type;
  }

  /** `name Type, …` of the columns, for a table function that reads them. */
  structure(columns: readonly string[]): string {
    return columns.map((column) => `${column} ${this.types.get(column)}`).join(", ");
  }
}

/** The columns of every table of one trail database, as system.columns reported them when read. */
export class TrailColumns {
  private readonly tables = new Map<string, TrailTableColumns>();

  private constructor(
    private readonly database: string,
    private readonly types: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ) {}

  /** Reads them; call it after the migrations, so the columns they add are there. */
  static async read(client: ClickHouseClient, database: string): Promise<TrailColumns> {
    const result = await client.query({
      query: `SELECT table, name, type FROM system.columns WHERE database = ${sqlString(database)}`,
      format: "JSONEachRow",
    });
    const types = new Map<string, Map<string, string>>();
    for (const { table, name, type } of (await result.json()) as Array<{ table: string; name: string; type: string }>) {
      const columns = types.get(table) ?? new Map<string, string>();
      types.set(table, columns);
      columns.set(name, type);
    }
    return new TrailColumns(database, types);
  }

  of(table: string): TrailTableColumns {
    let columns = this.tables.get(table);
    if (columns === undefined) {
      columns = new TrailTableColumns(`${this.database}.${table}`, this.types.get(table) ?? new Map());
      this.tables.set(table, columns);
    }
    return columns;
  }
}
