"use client";
import { createContext, useContext } from "react";
import type { PublicConfig } from "../config.ts";

const Ctx = createContext<PublicConfig | null>(null);

export const AppConfigProvider = Ctx.Provider;

export function useAppConfig(): PublicConfig {
  const c = useContext(Ctx);
  if (!c) throw new Error("useAppConfig outside AppConfigProvider");
  return c;
}
